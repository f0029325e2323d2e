// Why every documented type of this package is an interface with a second, empty base.

/**
 * The second base of each documented type: `interface X extends z.infer<typeof XSchema>,
 * Named {}`. The first base makes the schema the one source of the type and its TSDoc;
 * this one keeps the name in messages, where TypeScript shows an interface that only
 * extends one type as that type's whole expansion.
 */
// biome-ignore lint/suspicious/noEmptyInterface: empty on purpose, see above.
export interface Named {}
