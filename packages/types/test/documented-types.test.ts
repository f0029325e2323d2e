// What a user of the published package sees in an editor and in type errors, read from the
// built declarations (dist/*.d.ts) with the TypeScript compiler: every option and result type
// keeps the TSDoc of its schema's properties, and an error names the type.
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "@jest/globals";
import ts from "typescript";

const here = fileURLToPath(new URL(".", import.meta.url));
const srcIndex = fileURLToPath(new URL("../src/index.ts", import.meta.url));
const distIndex = fileURLToPath(new URL("../dist/index.d.ts", import.meta.url));
/** A file that uses the published package as a user would; it exists only in the compiler's memory. */
const consumer = `${here}consumer-of-dist.ts`;

/** The option and result types: documented interfaces (a union of them for `Plan`). */
const DOCUMENTED = [
  "CodedMessage",
  "SourcedNumber",
  "SourcedCount",
  "MeasuredFigure",
  "DurationStats",
  "ReportedError",
  "ExecutionReport",
  "Progress",
  "ExecutorOptions",
  "RunOptions",
  "CpuQuota",
  "Cores",
  "Memory",
  "Load",
  "HardwareProfile",
  "ProbeOptions",
  "SampleOptions",
  "SampleTaskPlainOptions",
  "OptimizeOptions",
  "ExecuteOptions",
  "PlanCacheEntry",
  "CompareRow",
  "CompareReport",
  "CostBreakdown",
  "Prediction",
  "Alternative",
  "SerialPlan",
  "ConcurrentPlan",
  "ParallelPlan",
  "PlanConstraints",
  "PlanInput",
  "PredictConfig",
  "CloneCost",
  "WorkerStartCost",
  "DispatchCost",
  "MachineKey",
  "SpawnCostProfile",
  "SpawnCostOptions",
  "WorkloadSample",
];

/** Each type, given an object it cannot be: the compiler's message must name the type. */
const consumerText = [
  `import type { ${DOCUMENTED.join(", ")} } from "${distIndex.replace(/\.d\.ts$/, ".js")}";`,
  ...DOCUMENTED.map((name) => `export const bad${name}: ${name} = { notAnOption: 1 };`),
].join("\n");

let program: ts.Program;
let checker: ts.TypeChecker;

beforeAll(() => {
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (file) => file === consumer || fileExists.call(host, file);
  host.readFile = (file) => (file === consumer ? consumerText : readFile.call(host, file));
  host.getSourceFile = (file, language, ...rest) =>
    file === consumer
      ? ts.createSourceFile(file, consumerText, language)
      : getSourceFile.call(host, file, language, ...rest);
  program = ts.createProgram([consumer, srcIndex], options, host);
  checker = program.getTypeChecker();
});

/** The exported types of a module file, by name. */
function exportedTypes(file: string): Map<string, ts.Type> {
  const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
  const types = new Map<string, ts.Type>();
  for (const symbol of checker.getExportsOfModule(module)) {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    if (target.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias))
      types.set(symbol.name, checker.getDeclaredTypeOfSymbol(target));
  }
  return types;
}

/** Every property's TSDoc, by its path (`cores.usable.source`), through nested anonymous objects. */
function docsOf(type: ts.Type, prefix = "", depth = 0): Record<string, string> {
  const docs: Record<string, string> = {};
  for (const property of checker.getPropertiesOfType(type)) {
    const path = `${prefix}${property.name}`;
    docs[path] = ts.displayPartsToString(property.getDocumentationComment(checker));
    const inner = checker.getNonNullableType(checker.getTypeOfSymbol(property));
    const anonymous =
      (inner.flags & ts.TypeFlags.Object) !== 0 && !inner.aliasSymbol && !inner.isClassOrInterface();
    if (anonymous && depth < 3 && inner.getCallSignatures().length === 0)
      Object.assign(docs, docsOf(inner, `${path}.`, depth + 1));
  }
  return docs;
}

describe("the published declarations", () => {
  it("carry every property's TSDoc, as the source has it", () => {
    const fromSource = exportedTypes(srcIndex);
    const published = exportedTypes(distIndex);
    let documented = 0;
    const lost: string[] = [];
    for (const name of DOCUMENTED) {
      const source = docsOf(fromSource.get(name)!);
      const seen = docsOf(published.get(name)!);
      for (const [path, doc] of Object.entries(source)) if (seen[path] !== doc) lost.push(`${name}.${path}`);
      documented += Object.values(source).filter((doc) => doc !== "").length;
    }
    expect(lost).toEqual([]);
    // Not a vacuous equality: the source documents most of these properties.
    expect(documented).toBeGreaterThan(150);
    const probe = docsOf(published.get("ProbeOptions")!);
    expect(probe["runtimeFacts.env"]).toMatch(/^Environment variables read for container hints/);
    const optimize = docsOf(published.get("OptimizeOptions")!);
    expect(optimize.maxWorkers).toMatch(/^Most workers to use\./);
    expect(optimize["sample.budgetMs"]).toMatch(/^Stop sampling once this much time was spent/);
  });

  it("name the type in a type error, not its expansion", () => {
    const messages = ts
      .getPreEmitDiagnostics(program, program.getSourceFile(consumer))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(messages).toHaveLength(DOCUMENTED.length);
    for (const [i, name] of DOCUMENTED.entries()) {
      expect(messages[i]!.split("\n")[0]).toMatch(new RegExp(`type '${name}'`));
    }
  });

  it("make Plan the union of the three documented plans", () => {
    const plan = exportedTypes(distIndex).get("Plan")!;
    expect(plan.isUnion() && plan.types.map((t) => checker.typeToString(t)).sort()).toEqual([
      "ConcurrentPlan",
      "ParallelPlan",
      "SerialPlan",
    ]);
  });
});
