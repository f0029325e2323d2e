import { AmorsizeValidationError } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import type { Redis } from "ioredis";
import { lostOr } from "./connection.js";
import { RedisLostError } from "./errors.js";

const client = (status: string) => ({ status }) as unknown as Redis;

describe("lostOr: a command's failure once Redis is gone", () => {
  it("reads ioredis's bare error as RedisLostError when the client gave up, naming the address and keeping the cause", () => {
    const raw = new Error("Connection is closed.");
    const error = lostOr(raw, client("end"), "127.0.0.1:6379");
    expect(error).toBeInstanceOf(RedisLostError);
    expect(error).toMatchObject({ code: "AMORSIZE_REDIS_LOST", address: "127.0.0.1:6379", cause: raw });
    expect((error as Error).message).toBe(
      "Lost the connection to Redis at 127.0.0.1:6379 during the run: Connection is closed.",
    );
  });

  it("leaves a failure as it is while the client is still connected or retrying, and our own errors always", () => {
    const raw = new Error("ERR wrong number of arguments");
    expect(lostOr(raw, client("ready"), "h:1")).toBe(raw);
    expect(lostOr(raw, client("reconnecting"), "h:1")).toBe(raw);
    const ours = new AmorsizeValidationError(["options.chunkSize: expected a positive integer"]);
    expect(lostOr(ours, client("end"), "h:1")).toBe(ours);
  });
});
