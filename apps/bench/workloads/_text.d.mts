export declare function word(random: () => number): string;
export declare function identifier(random: () => number): string;
export declare function sentence(random: () => number): string;
export declare function jsModule(random: () => number, chars: number): string;
export declare function markdownDocument(random: () => number, chars: number): string;
export declare function heavyTailedSizes(count: number, seed: number, min: number, max: number): number[];
export declare function cssSheet(random: () => number, chars: number): string;
export declare function sqlScript(random: () => number, chars: number): string;
export declare function record(
  random: () => number,
  id: number,
  chars: number,
): {
  id: number;
  user: string;
  email: string;
  createdAt: number;
  score: number;
  tags: string[];
  text: string;
};
