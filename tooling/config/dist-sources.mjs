// Which build outputs come from a source of today. Shared by the prepack (tooling/config/
// prepack.mjs) and the tarball check (tooling/release-check).

// What tsc emits for one source module: code, declarations and their maps.
const EMITTED = /\.(?:js|d\.ts)(?:\.map)?$/;
const SOURCE_EXTENSIONS = ["ts", "mts", "tsx", "js", "mjs"];

/**
 * The files under dist/ that no file under src/ produces: `dist/a/b.js` (and its `.d.ts`
 * and maps) comes from `src/a/b.ts`; a copied asset such as a JSON file from a file of
 * the same name anywhere under src/. Paths are relative to the package folder.
 *
 * @param {readonly string[]} distFiles such as `dist/index.js`
 * @param {readonly string[]} sourceFiles such as `src/index.ts`
 * @returns {string[]}
 */
export function staleOutputs(distFiles, sourceFiles) {
  const sources = new Set(sourceFiles);
  return distFiles.filter((path) => {
    const inDist = path.slice("dist/".length);
    if (EMITTED.test(inDist)) {
      const stem = inDist.replace(EMITTED, "");
      return !SOURCE_EXTENSIONS.some((ext) => sources.has(`src/${stem}.${ext}`));
    }
    const name = inDist.slice(inDist.lastIndexOf("/") + 1);
    return !sourceFiles.some((source) => source === `src/${inDist}` || source.endsWith(`/${name}`));
  });
}
