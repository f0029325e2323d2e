import type { HardwareProfile, SourcedNumber } from "@amorsize/types";

/** Bytes for people: binary units, one decimal (`1.5 GiB`). */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

const count = (value: number | null, none = "unknown") => (value === null ? none : String(value));
const bytes = (figure: SourcedNumber, none: string) =>
  figure.value === null ? none : formatBytes(figure.value);

/**
 * The profile as the table `amorsize-probe` prints: one row per figure with its
 * value and source, then the warnings.
 */
export function formatHardwareProfile(profile: HardwareProfile): string {
  const { cores, memory, load, container, runtime } = profile;
  const rows: [string, string, string][] = [];
  const section = (title: string) => rows.push([title, "", ""]);
  const row = (name: string, value: string, source: string) => rows.push([`  ${name}`, value, source]);

  section("machine");
  row("platform", `${profile.platform} ${profile.arch}`, "process");
  row("cpu model", profile.cpuModel.value ?? "unknown", profile.cpuModel.source);
  row("runtime", `Node ${runtime.node}, V8 ${runtime.v8}, libuv ${runtime.libuv}`, "process.versions");
  row(
    "container",
    container.detected ? `yes${container.kind ? ` (${container.kind})` : ""}` : "no",
    container.source,
  );
  section("cores");
  row("logical", count(cores.logical.value), cores.logical.source);
  row("affinity", count(cores.affinity.value), cores.affinity.source);
  row("cpuset", count(cores.cpuset.value, "not set"), cores.cpuset.source);
  row("physical", count(cores.physical.value), cores.physical.source);
  row("packages", count(cores.packages.value), cores.packages.source);
  row(
    "cpu quota",
    cores.quota.cpus === null ? "none" : `${cores.quota.cpus} CPUs at ${cores.quota.cgroupPath ?? "?"}`,
    cores.quota.source,
  );
  row("usable", String(cores.usable.value), `bounded by ${cores.usable.source}`);
  section("memory");
  row("total", bytes(memory.total, "unknown"), memory.total.source);
  row("available", bytes(memory.available, "unknown"), memory.available.source);
  row("cgroup limit", bytes(memory.cgroupLimit, "none"), memory.cgroupLimit.source);
  row("cgroup high", bytes(memory.cgroupHigh, "none"), memory.cgroupHigh.source);
  row("cgroup usage", bytes(memory.cgroupUsage, "n/a"), memory.cgroupUsage.source);
  row("constrained", bytes(memory.constrained, "none"), memory.constrained.source);
  row("usable", formatBytes(memory.usable.value), memory.usable.source);
  section("load");
  row("loadavg", load.loadavg.map((n) => n.toFixed(2)).join(" "), "os.loadavg()");
  row(
    "busy",
    load.busyFraction.value === null ? "n/a" : `${(load.busyFraction.value * 100).toFixed(1)}%`,
    load.busyFraction.source,
  );

  const nameWidth = Math.max(...rows.map(([name]) => name.length));
  const valueWidth = Math.max(...rows.map(([, value]) => value.length));
  const lines = [`hardware profile (${profile.probedAt}, ${profile.durationMs.toFixed(1)} ms)`];
  for (const [name, value, source] of rows) {
    lines.push(
      value === "" && source === ""
        ? name
        : `${name.padEnd(nameWidth)}  ${value.padEnd(valueWidth)}  ${source}`,
    );
  }
  lines.push(`usable cores rule: ${cores.usable.rule}`);
  if (profile.warnings.length === 0) lines.push("warnings: none");
  else {
    lines.push("warnings:");
    for (const w of profile.warnings) lines.push(`  ${w.code}: ${w.message}`);
  }
  return lines.join("\n");
}
