import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';

import { TABLE, TABLE_FRAME, TBODY, THEAD } from '../../../shared/form-styles';
import { describeDirection } from './policy-form';

type Json = Record<string, unknown>;

/** A policy in words: per detector, how it runs and what each direction does. */
@Component({
  selector: 'tp-policy-view',
  template: `
    <div [class]="s.frame">
      <table [class]="s.table">
        <caption class="sr-only">
          {{
            caption()
          }}
        </caption>
        <thead [class]="s.thead">
          <tr>
            <th scope="col" class="px-4 py-2 font-medium">Detector</th>
            <th scope="col" class="px-4 py-2 font-medium">Runs</th>
            <th scope="col" class="px-4 py-2 font-medium">Input (prompts, tool results, documents)</th>
            <th scope="col" class="px-4 py-2 font-medium">Output (answers)</th>
          </tr>
        </thead>
        <tbody [class]="s.tbody">
          @for (row of rows(); track row.name) {
            <tr>
              <th scope="row" class="px-4 py-2 text-left font-medium">{{ row.name }}</th>
              <td class="px-4 py-2">{{ row.runs }}</td>
              <td class="px-4 py-2">{{ row.input }}</td>
              <td class="px-4 py-2">{{ row.output }}</td>
            </tr>
          } @empty {
            <tr>
              <td colspan="4" class="px-4 py-2">No detector runs under this policy.</td>
            </tr>
          }
        </tbody>
      </table>
    </div>
    <p class="mt-2 text-sm text-slate-600 dark:text-slate-300">
      {{ policy()['shadow'] ? 'Shadow mode: findings are recorded, nothing is enforced.' : 'Enforced.' }}
      Request and answer bodies are {{ policy()['store_bodies'] ? 'stored (redacted)' : 'not stored' }}.
    </p>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PolicyView {
  readonly policy = input.required<Json>();
  readonly caption = input('The policy, per detector');
  protected readonly s = { frame: TABLE_FRAME, table: TABLE, thead: THEAD, tbody: TBODY };
  protected readonly rows = computed(() => {
    const detectors = (this.policy()['detectors'] ?? {}) as Record<string, Json>;
    return Object.keys(detectors)
      .sort()
      .map((name) => {
        const d = detectors[name] ?? {};
        const runs = [
          String(d['mode'] ?? 'inline'),
          `fails ${String(d['fail_mode'] ?? 'open')}`,
          d['shadow'] ? 'shadow' : '',
        ]
          .filter((w) => w !== '')
          .join(', ');
        return {
          name,
          runs,
          input: describeDirection(d['input']),
          output: describeDirection(d['output']),
        };
      });
  });
}
