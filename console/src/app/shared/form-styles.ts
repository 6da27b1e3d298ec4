/** Class lists shared by the forms' templates (Tailwind utilities, kept in one place). */
export const INPUT =
  'mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/40 dark:border-slate-700 dark:bg-slate-900';
export const LABEL = 'block text-sm font-medium';
export const PRIMARY_BUTTON =
  'rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-50';
export const SECONDARY_BUTTON =
  'rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-indigo-500 disabled:opacity-50 dark:border-slate-600 dark:hover:bg-slate-800';
export const SELECT =
  'mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm dark:border-slate-700 dark:bg-slate-900';
/** Tables: the frame, the header row, a header cell, a body and a cell. */
export const TABLE_FRAME = 'overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-800';
export const TABLE = 'min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800';
export const THEAD = 'bg-slate-100 text-left dark:bg-slate-900';
export const TBODY = 'divide-y divide-slate-200 bg-white dark:divide-slate-800 dark:bg-slate-950';
