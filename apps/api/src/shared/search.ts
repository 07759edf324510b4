/**
 * A search query folded as the stored search columns are (schema `foldSql`): Unicode NFD splits
 * accented letters into a base letter and combining marks (U+0300–U+036F), which go; then lower
 * case. "JOSÉ", "José" and "jose" all become "jose".
 */
export function foldText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}
