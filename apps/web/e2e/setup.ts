import { keepEvidenceOnFailure } from './support';

// Every browser test file: a failed test leaves screenshots and page text behind.
keepEvidenceOnFailure();
