import { readFile } from "node:fs/promises";
import { messageOf } from "@amorsize/types";
import { DataError } from "./errors.js";

/**
 * Parses JSON lines: one JSON value per non-blank line. A bad line is reported by its
 * 1-based number and the parser's reason.
 */
export function parseJsonLines(text: string, source: string): unknown[] {
  const items: unknown[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    try {
      items.push(JSON.parse(line));
    } catch (error) {
      throw new DataError(`${source}:${i + 1}: invalid JSON line: ${messageOf(error)}`, {
        cause: error,
        line: i + 1,
      });
    }
  }
  return items;
}

/**
 * Parses a JSON array, or JSON lines when the text does not start with `[`. A leading
 * UTF-8 byte-order mark (Notepad's "UTF-8 with BOM", PowerShell 7's `Out-File -Encoding
 * utf8BOM`) is no item: JSON.parse read a file that began with one as "Unexpected token".
 * (UTF-16 text, Windows PowerShell 5.1's `>`, is still read as UTF-8 and fails.)
 */
export function parseDataText(raw: string, source: string, format?: "json" | "jsonl"): unknown[] {
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  const kind = format ?? (text.trimStart().startsWith("[") ? "json" : "jsonl");
  if (kind === "jsonl") return parseJsonLines(text, source);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // JSON lines whose first item is an array also start with "[".
    if (format === undefined && text.trim().includes("\n")) return parseJsonLines(text, source);
    const hint =
      format === "json" && readsAsJsonLines(text) ? " (one JSON value per line: name it .jsonl)" : "";
    throw new DataError(`${source}: invalid JSON: ${messageOf(error)}${hint}`, { cause: error });
  }
  if (!Array.isArray(value)) throw new DataError(`${source}: expected a JSON array of items`);
  return value;
}

/** Whether the text's first two non-blank lines are each JSON: JSON lines in a file named .json. */
function readsAsJsonLines(text: string): boolean {
  const lines = text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "")
    .slice(0, 2);
  if (lines.length < 2) return false;
  try {
    for (const line of lines) JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

/** Reads a data file: `.jsonl`/`.ndjson` as JSON lines, anything else as a JSON array (or JSON lines). */
export async function readDataFile(path: string): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a folder" : messageOf(error);
    throw new DataError(`--data ${path}: cannot read the data file (${why})`, { cause: error });
  }
  const format = /\.(jsonl|ndjson)$/i.test(path) ? "jsonl" : /\.json$/i.test(path) ? "json" : undefined;
  return parseDataText(text, path, format);
}

/** Reads all of a stream (standard input) as text. */
export async function readAllText(stream: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: string[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? chunk : chunk.toString("utf8"));
  return chunks.join("");
}
