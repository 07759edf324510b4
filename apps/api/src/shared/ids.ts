import { randomFillSync } from 'node:crypto';
import { V7Generator } from 'uuidv7';

/**
 * Cryptographically strong random words, drawn from the system 8 KiB at a time: the uuidv7
 * package's own source asks for 32 bytes per call, and an import makes 200,000 ids in a row.
 */
class BufferedRandom {
  private readonly words = new Uint32Array(2048);
  private next = this.words.length;

  nextUint32(): number {
    if (this.next === this.words.length) {
      randomFillSync(this.words);
      this.next = 0;
    }
    return this.words[this.next++]!;
  }
}

const generator = new V7Generator(new BufferedRandom());

/** A new UUIDv7 (time-ordered, so rows made together sit together in an index), as text. */
export const newId = (): string => generator.generate().toString();
