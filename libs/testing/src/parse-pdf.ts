import { execFile } from 'node:child_process';

/**
 * Text and page count through pdf-parse (pdf.js). It runs in a child Node process: pdf.js loads its
 * worker with a dynamic import(), which Jest's CommonJS runtime cannot do.
 */
export function parsePdf(pdf: Buffer): Promise<{ pages: number; text: string }> {
  const script = `
    const { PDFParse } = require('pdf-parse');
    const chunks = [];
    process.stdin.on('data', (c) => chunks.push(c)).on('end', async () => {
      const parser = new PDFParse({ data: Buffer.concat(chunks) });
      const { total, text } = await parser.getText();
      await parser.destroy();
      process.stdout.write(JSON.stringify({ pages: total, text }));
    });`;
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['-e', script],
      { cwd: process.cwd() },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`${error.message}\n${stderr}`))
          : resolve(JSON.parse(stdout) as { pages: number; text: string }),
    );
    child.stdin?.end(pdf);
  });
}
