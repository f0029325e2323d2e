// Hand-written tinypool worker: one task is a chunk of items.
import { mix } from "./work.mjs";

export default function runChunk(items) {
  return items.map(mix);
}
