import type { HardwareProfile } from "@amorsize/types";
import type { MountinfoEntry, ProcCgroupEntry } from "./parse.js";

type Container = HardwareProfile["container"];

/** What container detection looks at; every field is already read. */
export interface ContainerEvidence {
  dockerenv: boolean;
  containerenv: boolean;
  env: Record<string, string | undefined>;
  membership: readonly ProcCgroupEntry[];
  mounts: readonly MountinfoEntry[];
}

/** Kinds from the most specific to the least: a Kubernetes pod usually also runs under Docker or containerd. */
const KIND_ORDER = ["kubernetes", "podman", "docker", "lxc"] as const;
type Kind = (typeof KIND_ORDER)[number];

function kindOfCgroupPath(path: string): Kind | null {
  if (/(^|\/)kubepods([./]|$)/.test(path) || path.includes("kubepods-")) return "kubernetes";
  if (/(^|\/)libpod[-_]/.test(path) || path.includes("/libpod")) return "podman";
  if (/(^|\/)docker([-/.]|$)/.test(path)) return "docker";
  if (/(^|\/)lxc([/.]|$)/.test(path) || path.includes("lxc.payload")) return "lxc";
  return null;
}

/**
 * Whether the process appears to run in a container, and the evidence:
 * `KUBERNETES_SERVICE_HOST`, `/.dockerenv`, `/run/.containerenv`, cgroup paths
 * naming kubepods/docker/libpod/lxc in `/proc/self/cgroup`, and an overlay root
 * or Docker-managed bind mounts in `/proc/self/mountinfo`. `source` lists every
 * piece found, comma-separated; `kind` is the most specific one.
 */
export function detectContainer(evidence: ContainerEvidence): Container {
  const sources: string[] = [];
  const kinds = new Set<Kind>();
  if (evidence.env.KUBERNETES_SERVICE_HOST) {
    sources.push("KUBERNETES_SERVICE_HOST");
    kinds.add("kubernetes");
  }
  if (evidence.dockerenv) {
    sources.push("/.dockerenv");
    kinds.add("docker");
  }
  if (evidence.containerenv) {
    sources.push("/run/.containerenv");
    kinds.add("podman");
  }
  const cgroupKinds = evidence.membership.map((e) => kindOfCgroupPath(e.path)).filter((k) => k !== null);
  if (cgroupKinds.length > 0) {
    sources.push("/proc/self/cgroup");
    for (const k of cgroupKinds) kinds.add(k);
  }
  const rootMount = evidence.mounts.find((m) => m.mountPoint === "/");
  const overlayRoot = rootMount !== undefined && /overlay/.test(rootMount.fsType);
  const dockerMounts = evidence.mounts.some(
    (m) =>
      m.root.includes("/docker/containers/") ||
      (m === rootMount && m.superOptions.some((o) => o.includes("/docker/"))),
  );
  if (overlayRoot || dockerMounts) {
    sources.push("/proc/self/mountinfo");
    if (dockerMounts) kinds.add("docker");
  }
  if (sources.length === 0) return { detected: false, source: "none", kind: null };
  return { detected: true, source: sources.join(", "), kind: KIND_ORDER.find((k) => kinds.has(k)) ?? null };
}
