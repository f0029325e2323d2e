// What the optimizer uses of `@amorsize/cluster/cli`, its optional peer. Declared here
// rather than read from the cluster's build: the cluster depends on the optimizer (for its
// tests), so turbo builds and type-checks the optimizer first, with no cluster build yet.
declare module "@amorsize/cluster/cli" {
  export function main(argv: string[]): Promise<number>;
}
