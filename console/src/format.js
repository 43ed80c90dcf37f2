// Numbers and instants as the viewer reads them: the browser's locale and time zone.

const numbers = new Intl.NumberFormat();
const instants = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const days = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

export const number = (value) => (value === null || value === undefined ? "—" : numbers.format(value));

export const instant = (iso) => (iso ? instants.format(new Date(iso)) : "—");

export const day = (iso) => (iso ? days.format(new Date(iso)) : "—");

/// "3 h ago", "2 days ago": how stale a reading is, at a glance.
export function ago(iso, now = Date.now()) {
  if (!iso) return "never";
  const minutes = Math.round((now - new Date(iso).getTime()) / 60000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

export const timeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;
