import { ChangeDetectionStrategy, Component, input, output } from '@angular/core';

import { ConfirmButton } from '../../shared/confirm-button';
import { TABLE, TABLE_FRAME, TBODY, THEAD } from '../../shared/form-styles';
import { formatUtc } from '../../shared/time-range';
import { Delivery } from './webhooks-api';

/** Deliveries as a table: status, attempts, the last error; dead ones may be replayed. */
@Component({
  selector: 'tp-deliveries',
  imports: [ConfirmButton],
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
            <th scope="col" class="px-4 py-2 font-medium">Created</th>
            <th scope="col" class="px-4 py-2 font-medium">Topic</th>
            <th scope="col" class="px-4 py-2 font-medium">Status</th>
            <th scope="col" class="px-4 py-2 font-medium">Attempts</th>
            <th scope="col" class="px-4 py-2 font-medium">Last error</th>
            @if (mayReplay()) {
              <th scope="col" class="px-4 py-2"><span class="sr-only">Actions</span></th>
            }
          </tr>
        </thead>
        <tbody [class]="s.tbody">
          @for (d of deliveries(); track d.id) {
            <tr>
              <td class="px-4 py-2">{{ utc(d.created_at) }}</td>
              <td class="px-4 py-2">{{ d.topic }}</td>
              <td class="px-4 py-2">{{ d.status }}</td>
              <td class="px-4 py-2">{{ d.attempts }}</td>
              <td class="px-4 py-2">{{ d.last_error ?? '—' }}</td>
              @if (mayReplay()) {
                <td class="px-4 py-2 text-right">
                  @if (d.status === 'dead') {
                    <tp-confirm-button
                      label="Replay"
                      [name]="'Replay the delivery of ' + utc(d.created_at)"
                      confirm="Confirm replay"
                      (confirmed)="replay.emit(d)"
                    />
                  }
                </td>
              }
            </tr>
          }
        </tbody>
      </table>
    </div>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Deliveries {
  readonly deliveries = input.required<readonly Delivery[]>();
  readonly caption = input.required<string>();
  readonly mayReplay = input(false);
  readonly replay = output<Delivery>();
  protected readonly s = { frame: TABLE_FRAME, table: TABLE, thead: THEAD, tbody: TBODY };
  protected readonly utc = formatUtc;
}
