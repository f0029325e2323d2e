export { teardown as default } from "./jest-cache-dir.js";
