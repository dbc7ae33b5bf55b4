import { CsvExportHandler } from './csv-export/csv-export.handler';
import { DataProcessingHandler } from './data-processing/data-processing.handler';
import { GenerateReportHandler } from './generate-report/generate-report.handler';
import { HttpRequestHandler } from './http-request/http-request.handler';
import { ResizeImageHandler } from './resize-image/resize-image.handler';
import { SendEmailHandler } from './send-email/send-email.handler';
import { SleepHandler } from './sleep/sleep.handler';

/** Every job type's handler; list them as providers of the module that runs jobs. */
export const JOB_HANDLERS = [
  SendEmailHandler,
  GenerateReportHandler,
  ResizeImageHandler,
  CsvExportHandler,
  HttpRequestHandler,
  DataProcessingHandler,
  SleepHandler,
];
