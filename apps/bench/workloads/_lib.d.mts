export declare function spin(iterations: number, seed: number): number;
export declare function prng(seed: number): () => number;
export declare function normal(random: () => number): number;
export declare function iterationsFor(us: number, itersPerUs: number): number;
export declare function numericItems(count: number, iterations: number): number[];
export declare function runNumeric(item: number): number;
export declare function measureItersPerUs(targetMs?: number, rounds?: number): number;
export declare function inverseNormal(p: number): number;
export declare function shuffled<T>(list: readonly T[], seed: number): T[];
