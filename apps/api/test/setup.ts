import { afterAll, afterEach } from 'vitest';
import { formatMismatches, takeMismatches } from './openapi-check.js';

/**
 * Every API test file: an answer the OpenAPI document does not describe fails the test that caused
 * it (or, when it came from a hook or a stream that outlived its test, the file).
 */
function failOnMismatches() {
  const found = takeMismatches();
  if (found.length) throw new Error(formatMismatches(found));
}

afterEach(failOnMismatches);
afterAll(failOnMismatches);
