import { describe, expect, it } from "@jest/globals";
import { detectContainer } from "./container.js";
import { parseMountinfo, parseProcSelfCgroup } from "./parse.js";

const none = { dockerenv: false, containerenv: false, env: {}, membership: [], mounts: [] };

describe("detectContainer", () => {
  it("finds nothing on a plain host", () => {
    const membership = parseProcSelfCgroup("4:memory:/user.slice/user-1000.slice/session-2.scope\n0::/\n");
    const mounts = parseMountinfo("27 1 253:1 / / rw,relatime - ext4 /dev/vda1 rw\n");
    expect(detectContainer({ ...none, membership, mounts })).toEqual({
      detected: false,
      source: "none",
      kind: null,
    });
  });

  it("lists every piece of evidence and picks the most specific kind", () => {
    expect(
      detectContainer({
        dockerenv: true,
        containerenv: false,
        env: { KUBERNETES_SERVICE_HOST: "10.0.0.1" },
        membership: parseProcSelfCgroup("0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-1.scope\n"),
        mounts: parseMountinfo("1 0 0:1 / / rw - overlay overlay rw,lowerdir=/var/lib/containerd/a\n"),
      }),
    ).toEqual({
      detected: true,
      source: "KUBERNETES_SERVICE_HOST, /.dockerenv, /proc/self/cgroup, /proc/self/mountinfo",
      kind: "kubernetes",
    });
  });

  it.each([
    ["4:cpu:/docker/abc", "docker"],
    ["1:name=systemd:/system.slice/docker-67f9.scope", "docker"],
    ["1:cpu:/lxc/p1", "lxc"],
    ["0::/lxc.payload.c1", "lxc"],
    ["0::/machine.slice/libpod-1234.scope", "podman"],
    ["4:cpu:/kubepods/burstable/pod1/abc", "kubernetes"],
  ])("reads %s as %s", (line, kind) => {
    expect(detectContainer({ ...none, membership: parseProcSelfCgroup(line) })).toEqual({
      detected: true,
      source: "/proc/self/cgroup",
      kind,
    });
  });

  it("takes /run/.containerenv as podman", () => {
    expect(detectContainer({ ...none, containerenv: true })).toEqual({
      detected: true,
      source: "/run/.containerenv",
      kind: "podman",
    });
  });

  it("takes an overlay root without docker paths as a container of unknown kind", () => {
    const mounts = parseMountinfo("1 0 0:1 / / rw - overlay overlay rw,lowerdir=/x/l,upperdir=/x/u\n");
    expect(detectContainer({ ...none, mounts })).toEqual({
      detected: true,
      source: "/proc/self/mountinfo",
      kind: null,
    });
  });

  it("does not take a path that merely contains the word as evidence", () => {
    const membership = parseProcSelfCgroup("0::/user.slice/dockerish-app.scope\n");
    expect(detectContainer({ ...none, membership }).detected).toBe(false);
  });
});
