import { HttpRequestPayload } from './http-request/http-request.payload';
import { outboundUrlFields } from './job-type';
import { ResizeImagePayload } from './resize-image/resize-image.payload';
import { SleepPayload } from './sleep/sleep.payload';

describe('outboundUrlFields', () => {
  it('lists the payload fields marked @OutboundUrl', () => {
    expect(outboundUrlFields(HttpRequestPayload)).toEqual(['url']);
    expect(outboundUrlFields(ResizeImagePayload)).toEqual(['imageUrl']);
    expect(outboundUrlFields(SleepPayload)).toEqual([]);
  });
});
