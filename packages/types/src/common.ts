import { z } from "zod";

/**
 * A reason or a warning: a stable machine-readable `code` (UPPER_SNAKE_CASE) and a
 * message for people. Codes never change meaning between releases; messages may.
 */
export const CodedMessageSchema = z.object({
  code: z.string().regex(/^[A-Z][A-Z0-9_]*$/, "Expected an UPPER_SNAKE_CASE code"),
  message: z.string().min(1),
});
export type CodedMessage = z.infer<typeof CodedMessageSchema>;

export const WarningSchema = CodedMessageSchema;
export type Warning = CodedMessage;
export const ReasonSchema = CodedMessageSchema;
export type Reason = CodedMessage;

/** How a figure was obtained. `estimated` always comes with a reason. */
export const ProvenanceSchema = z.enum(["measured", "cached", "estimated"]);
export type Provenance = z.infer<typeof ProvenanceSchema>;

/**
 * A figure read from the machine: its value (null where it could not be known)
 * and where it came from ("/proc/cpuinfo", "cgroup v2 cpu.max", "fallback", ...).
 */
export const SourcedNumberSchema = z.object({
  value: z.number().finite().nonnegative().nullable(),
  source: z.string().min(1),
});
export type SourcedNumber = z.infer<typeof SourcedNumberSchema>;

/** A count read from the machine (cores, packages); null where it could not be known. */
export const SourcedCountSchema = z.object({
  value: z.number().int().positive().nullable(),
  source: z.string().min(1),
});
export type SourcedCount = z.infer<typeof SourcedCountSchema>;

/**
 * A measured cost with how it was obtained, how many samples it rests on and
 * their spread (median absolute deviation, in the figure's own unit).
 */
export const MeasuredFigureSchema = z
  .object({
    value: z.number().finite().nonnegative(),
    provenance: ProvenanceSchema,
    /** Why the figure is estimated rather than measured. Required when `provenance` is `estimated`. */
    reason: z.string().min(1).optional(),
    samples: z.number().int().nonnegative(),
    /** Median absolute deviation of the samples, in the figure's unit; null when not applicable. */
    spread: z.number().finite().nonnegative().nullable(),
  })
  .refine((f) => f.provenance !== "estimated" || f.reason !== undefined, {
    message: "An estimated figure must say why (reason)",
    path: ["reason"],
  });
export type MeasuredFigure = z.infer<typeof MeasuredFigureSchema>;

/** Summary statistics of a set of durations, in milliseconds. */
export const DurationStatsSchema = z.object({
  count: z.number().int().nonnegative(),
  min: z.number().finite().nonnegative(),
  mean: z.number().finite().nonnegative(),
  median: z.number().finite().nonnegative(),
  p90: z.number().finite().nonnegative(),
  max: z.number().finite().nonnegative(),
});
export type DurationStats = z.infer<typeof DurationStatsSchema>;

/** ISO-8601 timestamp. */
export const TimestampSchema = z.iso.datetime();

/**
 * What an item or a result looks like to structured clone, which decides what
 * moving it to a worker costs.
 */
export const PayloadKindSchema = z.enum([
  "number",
  "plain-array",
  "object",
  "string",
  "typed-array",
  "typed-array-transfer",
]);
export type PayloadKind = z.infer<typeof PayloadKindSchema>;

export const positiveInt = () => z.number().int().positive();
export const nonNegativeInt = () => z.number().int().nonnegative();

/** A function value (options such as callbacks and command runners). */
export const functionSchema = <T extends (...args: never[]) => unknown>(what: string) =>
  z.custom<T>((v) => typeof v === "function", { message: `Expected ${what} (a function)` });
