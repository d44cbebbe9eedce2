/** A time in the user's locale, with the exact UTC instant on hover (title) and in `dateTime`. */
import {
  formatLocalDateTime,
  formatLocalShortDateTime,
  formatLocalTime,
  formatUtc,
} from "@/lib/format";

export function Time({
  iso,
  variant = "datetime",
  className,
}: {
  iso: string | null | undefined;
  variant?: "datetime" | "short" | "time";
  className?: string;
}) {
  if (!iso) return <span className={className}>—</span>;
  const text =
    variant === "time"
      ? formatLocalTime(iso)
      : variant === "short"
        ? formatLocalShortDateTime(iso)
        : formatLocalDateTime(iso);
  return (
    <time dateTime={iso} title={formatUtc(iso)} className={className}>
      {text}
    </time>
  );
}
