// Hand-written tinypool worker: one task per item.
import { mix } from "./work.mjs";

export default function runItem(item) {
  return mix(item);
}
