import { CsvExportJob } from './csv-export/csv-export.job';
import { DataProcessingJob } from './data-processing/data-processing.job';
import { GenerateReportJob } from './generate-report/generate-report.job';
import { HttpRequestJob } from './http-request/http-request.job';
import { ResizeImageJob } from './resize-image/resize-image.job';
import { SendEmailJob } from './send-email/send-email.job';
import { SleepJob } from './sleep/sleep.job';

/** Every job type; list them as providers of the module that runs jobs. */
export const JOB_TYPES = [
  SendEmailJob,
  GenerateReportJob,
  ResizeImageJob,
  CsvExportJob,
  HttpRequestJob,
  DataProcessingJob,
  SleepJob,
];
