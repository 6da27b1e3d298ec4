import { ChangeDetectionStrategy, Component, computed, input, linkedSignal, output } from '@angular/core';

import { ConfirmButton } from '../../../shared/confirm-button';
import { LABEL, SELECT, TABLE, TABLE_FRAME, TBODY, THEAD } from '../../../shared/form-styles';
import { formatUtc } from '../../../shared/time-range';
import type { PolicyVersion } from '../policies-api';
import { folded, lineDiff, pretty } from './policy-text';

/**
 * The versions the tenant saved, newest first, with who saved each and when; a line diff between
 * two of them; and, for roles that may, bringing an earlier one back (as a new version).
 */
@Component({
  selector: 'tp-policy-versions',
  imports: [ConfirmButton],
  template: `
    <div [class]="s.frame">
      <table [class]="s.table">
        <caption class="sr-only">
          Policy versions, newest first
        </caption>
        <thead [class]="s.thead">
          <tr>
            <th scope="col" class="px-4 py-2 font-medium">Version</th>
            <th scope="col" class="px-4 py-2 font-medium">Saved</th>
            <th scope="col" class="px-4 py-2 font-medium">By</th>
            <th scope="col" class="px-4 py-2"><span class="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody [class]="s.tbody">
          @for (version of versions(); track version.version; let first = $first) {
            <tr>
              <td class="px-4 py-2">
                {{ version.version }}
                @if (first) {
                  <span
                    class="ml-2 rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100"
                    >active</span
                  >
                }
              </td>
              <td class="px-4 py-2">{{ version.created_at ? utc(version.created_at) : '—' }}</td>
              <td class="px-4 py-2">{{ who()(version.created_by) }}</td>
              <td class="px-4 py-2 text-right">
                @if (mayChange() && !first) {
                  <tp-confirm-button
                    label="Roll back"
                    [name]="'Roll back to version ' + version.version"
                    [confirm]="'Confirm rolling back to version ' + version.version"
                    [disabled]="busy()"
                    (confirmed)="rollback.emit(version.version)"
                  />
                }
              </td>
            </tr>
          }
        </tbody>
      </table>
    </div>

    @if (versions().length > 1) {
      <h3 class="mt-6 mb-2 font-semibold">Compare two versions</h3>
      <div class="mb-3 flex flex-wrap gap-4">
        <div class="w-40">
          <label for="diff-from" [class]="s.label">From version</label>
          <select id="diff-from" [class]="s.select" (change)="from.set(+$any($event.target).value)">
            @for (version of versions(); track version.version) {
              <option [value]="version.version" [selected]="version.version === from()">
                {{ version.version }}
              </option>
            }
          </select>
        </div>
        <div class="w-40">
          <label for="diff-to" [class]="s.label">To version</label>
          <select id="diff-to" [class]="s.select" (change)="to.set(+$any($event.target).value)">
            @for (version of versions(); track version.version) {
              <option [value]="version.version" [selected]="version.version === to()">
                {{ version.version }}
              </option>
            }
          </select>
        </div>
      </div>
      <pre
        aria-label="Differences"
        tabindex="0"
        class="max-h-96 overflow-auto rounded-md border border-slate-200 bg-white p-3 font-mono text-xs dark:border-slate-800 dark:bg-slate-950"
      >@for (line of diff(); track $index) {<span [class]="lineClass[line.kind]">{{ sign[line.kind] }} {{ line.text }}
</span>}</pre>
      @if (unchanged()) {
        <p class="mt-2 text-sm">These two versions are the same.</p>
      }
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PolicyVersions {
  /** Newest first: the first one is the active policy. */
  readonly versions = input.required<PolicyVersion[]>();
  /** A user id in words (their e-mail address when known). */
  readonly who = input<(userId: string | null) => string>((id) => id ?? '—');
  readonly mayChange = input(false);
  readonly busy = input(false);
  readonly rollback = output<number>();

  protected readonly s = {
    frame: TABLE_FRAME,
    table: TABLE,
    thead: THEAD,
    tbody: TBODY,
    label: LABEL,
    select: SELECT,
  };
  protected readonly utc = formatUtc;
  protected readonly sign = { same: ' ', added: '+', removed: '-', skipped: ' ' } as const;
  protected readonly lineClass = {
    same: 'block',
    skipped: 'block italic text-slate-600 dark:text-slate-400',
    added: 'block bg-emerald-100 text-emerald-900 dark:bg-emerald-950 dark:text-emerald-100',
    removed: 'block bg-red-100 text-red-900 dark:bg-red-950 dark:text-red-100',
  } as const;
  /** By default, the active version against the one before it. */
  protected readonly from = linkedSignal(() => this.versions()[1]?.version ?? 0);
  protected readonly to = linkedSignal(() => this.versions()[0]?.version ?? 0);
  private readonly lines = computed(() => {
    const find = (n: number) => this.versions().find((v) => v.version === n)?.policy ?? {};
    return lineDiff(pretty(find(this.from())), pretty(find(this.to())));
  });
  protected readonly diff = computed(() => folded(this.lines()));
  protected readonly unchanged = computed(() => this.lines().every((line) => line.kind === 'same'));
}
