/** Small statistics shared by the benches. */

/** The median (upper median for an even count). */
export function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

/** `xs` formatted for a raw-numbers line. */
export function raw(xs: number[], digits = 0): string {
  return xs.map((x) => x.toFixed(digits)).join(', ');
}
