const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g;

/** The PEM blocks of a bundle (any number of keys, public or private, one after another). */
export function pemBlocks(bundle: string): string[] {
  return [...bundle.matchAll(PEM_BLOCK)].map((m) => m[0]);
}
