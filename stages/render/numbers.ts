/** Numbers as the tables and notes print them, the same on every machine and locale. */

/** `12345` → `12,345`, without the locale-dependent toLocaleString. */
export const count = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
