// `npm run demo`: the whole demo on its full built-in data, printed to stdout.
import { runDemo } from "./demo.js";

await runDemo();
