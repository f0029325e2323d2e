import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { JobSignatureError } from "./errors.js";
import { SIGNATURE_FIELD, signedText, signJob, verifyJob } from "./signing.js";

const secret = new Uint8Array(Buffer.from("0123456789abcdef0123456789abcdef"));

/** A job as a host reads it: BullMQ carries its data as JSON. */
function received(job: { name: string; data: object; opts: { jobId: string } }) {
  return { name: job.name, id: job.opts.jobId, data: JSON.parse(JSON.stringify(job.data)) as unknown };
}

function codeOf(run: () => void): string | null {
  try {
    run();
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(JobSignatureError);
    return (error as JobSignatureError).code;
  }
}

describe("job signatures", () => {
  it("verify after the JSON trip through Redis, for any JSON items", () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue()), fc.nat(), (items, chunk) => {
        const job = signJob(secret, {
          name: "amorsize-chunk",
          data: { runId: "r", chunk, module: "file:///t.mjs", export: "f", items },
          opts: { jobId: `r-${chunk}` },
        });
        expect(codeOf(() => verifyJob(secret, received(job)))).toBeNull();
      }),
    );
  });

  it("refuse a job unsigned, altered in any field, moved to another id, or signed with another secret", () => {
    const job = signJob(secret, {
      name: "amorsize-chunk",
      data: { runId: "r", chunk: 0, module: "file:///t.mjs", export: "f", items: [1, { a: -0 }] },
      opts: { jobId: "r-0" },
    });
    const good = received(job);
    const data = good.data as Record<string, unknown>;
    const { [SIGNATURE_FIELD]: _sig, ...unsigned } = data;
    expect(codeOf(() => verifyJob(secret, { ...good, data: unsigned }))).toBe(
      "AMORSIZE_CLUSTER_JOB_UNSIGNED",
    );
    expect(codeOf(() => verifyJob(secret, { ...good, data: { ...data, signature: "zz" } }))).toBe(
      "AMORSIZE_CLUSTER_BAD_SIGNATURE",
    );
    for (const change of [
      { items: [2, { a: 0 }] },
      { module: "file:///u.mjs" },
      { export: "g" },
      { extra: 1 },
    ]) {
      expect(codeOf(() => verifyJob(secret, { ...good, data: { ...data, ...change } }))).toBe(
        "AMORSIZE_CLUSTER_BAD_SIGNATURE",
      );
    }
    expect(codeOf(() => verifyJob(secret, { ...good, id: "r-1" }))).toBe("AMORSIZE_CLUSTER_BAD_SIGNATURE");
    const other = new Uint8Array(Buffer.from("fedcba9876543210fedcba9876543210"));
    expect(codeOf(() => verifyJob(other, good))).toBe("AMORSIZE_CLUSTER_BAD_SIGNATURE");
  });

  it("cover the version, the name, the id and the data without the signature", () => {
    expect(signedText({ name: "n", id: "r-0", data: { items: [undefined, Number.NaN, -0] } })).toBe(
      '[1,"n","r-0",{"items":[null,null,0]}]',
    );
  });
});
