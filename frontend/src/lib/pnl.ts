/** Colour of a PnL figure: gains green, losses red, zero plain. */
export function pnlClass(x: number | null | undefined): string {
  if (x === null || x === undefined) return "";
  return x > 0 ? "text-status-ok" : x < 0 ? "text-status-bad" : "";
}
