/**
 * The time of day for event lines, as the person reading them keeps time:
 * local, with the zone named (`14:03:27 CET`, `23:03:27 GMT+9`), so that a
 * log read on another machine, or beside `squeue`'s local times, is not
 * misread. JSON carries full ISO 8601 timestamps instead.
 */
const FORMAT = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });

export function clockTime(date: Date = new Date()): string {
  const parts = FORMAT.formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('hour')}:${part('minute')}:${part('second')} ${part('timeZoneName')}`.trim();
}
