import { z } from "zod";
import type { Named } from "./documented.js";

const codedMessageShape = {
  code: z.string().regex(/^[A-Z][A-Z0-9_]*$/, "Expected an UPPER_SNAKE_CASE code"),
  message: z.string().min(1),
};
/** The schema of {@link CodedMessage}. */
export const CodedMessageSchema: z.ZodObject<typeof codedMessageShape> = z.object(codedMessageShape);
/**
 * A reason or a warning: a stable machine-readable `code` (UPPER_SNAKE_CASE) and a
 * message for people. Codes never change meaning between releases; messages may.
 */
export interface CodedMessage extends z.infer<typeof CodedMessageSchema>, Named {}

export const WarningSchema = CodedMessageSchema;
export type Warning = CodedMessage;
export const ReasonSchema = CodedMessageSchema;
export type Reason = CodedMessage;

/** How a figure was obtained. `estimated` always comes with a reason. */
export const ProvenanceSchema = z.enum(["measured", "cached", "estimated"]);
export type Provenance = z.infer<typeof ProvenanceSchema>;

const sourcedNumberShape = {
  value: z.number().finite().nonnegative().nullable(),
  source: z.string().min(1),
};
/** The schema of {@link SourcedNumber}. */
export const SourcedNumberSchema: z.ZodObject<typeof sourcedNumberShape> = z.object(sourcedNumberShape);
/**
 * A figure read from the machine: its value (null where it could not be known)
 * and where it came from ("/proc/cpuinfo", "cgroup v2 cpu.max", "fallback", ...).
 */
export interface SourcedNumber extends z.infer<typeof SourcedNumberSchema>, Named {}

const sourcedCountShape = {
  value: z.number().int().positive().nullable(),
  source: z.string().min(1),
};
/** The schema of {@link SourcedCount}. */
export const SourcedCountSchema: z.ZodObject<typeof sourcedCountShape> = z.object(sourcedCountShape);
/** A count read from the machine (cores, packages); null where it could not be known. */
export interface SourcedCount extends z.infer<typeof SourcedCountSchema>, Named {}

const measuredFigureShape = {
  value: z.number().finite().nonnegative(),
  provenance: ProvenanceSchema,
  /** Why the figure is estimated rather than measured. Required when `provenance` is `estimated`. */
  reason: z.string().min(1).optional(),
  samples: z.number().int().nonnegative(),
  /** Median absolute deviation of the samples, in the figure's unit; null when not applicable. */
  spread: z.number().finite().nonnegative().nullable(),
};
/** The schema of {@link MeasuredFigure}. */
export const MeasuredFigureSchema: z.ZodObject<typeof measuredFigureShape> = z
  .object(measuredFigureShape)
  .refine((f) => f.provenance !== "estimated" || f.reason !== undefined, {
    message: "An estimated figure must say why (reason)",
    path: ["reason"],
  });
/**
 * A measured cost with how it was obtained, how many samples it rests on and
 * their spread (median absolute deviation, in the figure's own unit).
 */
export interface MeasuredFigure extends z.infer<typeof MeasuredFigureSchema>, Named {}

const durationStatsShape = {
  count: z.number().int().nonnegative(),
  min: z.number().finite().nonnegative(),
  mean: z.number().finite().nonnegative(),
  median: z.number().finite().nonnegative(),
  p90: z.number().finite().nonnegative(),
  max: z.number().finite().nonnegative(),
};
/** The schema of {@link DurationStats}. */
export const DurationStatsSchema: z.ZodObject<typeof durationStatsShape> = z.object(durationStatsShape);
/** Summary statistics of a set of durations, in milliseconds. */
export interface DurationStats extends z.infer<typeof DurationStatsSchema>, Named {}

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
