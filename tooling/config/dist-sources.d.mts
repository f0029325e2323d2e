/** The files under dist/ that no file under src/ produces (paths relative to the package). */
export function staleOutputs(distFiles: readonly string[], sourceFiles: readonly string[]): string[];
