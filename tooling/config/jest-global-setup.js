export { setup as default } from "./jest-cache-dir.js";
