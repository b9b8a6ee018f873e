/** Prints one same-run ratio against its target as PASS/FAIL, and remembers failures for the exit code. */

let failed = false;

/** Prints `name: ratio (target)` with PASS/FAIL; `higherIsBetter` picks the comparison. */
export function reportRatio(name: string, ratio: number, target: number, higherIsBetter: boolean, detail: string): boolean {
  const pass = higherIsBetter ? ratio >= target : ratio <= target;
  if (!pass) failed = true;
  console.log(`${pass ? 'PASS' : 'FAIL'}  ${name}: ${ratio.toFixed(3)} (target ${higherIsBetter ? '≥' : '≤'} ${target})  ${detail}`);
  return pass;
}

/** Sets a failing exit code when any ratio missed its target. */
export function exitWithVerdict(): void {
  process.exitCode = failed ? 1 : 0;
}
