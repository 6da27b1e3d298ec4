import {
  ChangeDetectionStrategy,
  Component,
  computed,
  effect,
  inject,
  input,
  output,
  signal,
} from '@angular/core';
import {
  FormArray,
  FormControl,
  FormGroup,
  NonNullableFormBuilder,
  ReactiveFormsModule,
} from '@angular/forms';

import { INPUT, LABEL, PRIMARY_BUTTON, SECONDARY_BUTTON, SELECT } from '../../../shared/form-styles';
import {
  ACTIONS,
  ActionName,
  DIRECTIONS,
  DetectorSettings,
  DirectionName,
  detectorSettings,
  withSettings,
} from './policy-form';
import { Problem, pretty } from './policy-text';

type Json = Record<string, unknown>;
type DetectorGroup = FormGroup<{
  name: FormControl<string>;
  inputAction: FormControl<ActionName>;
  inputThreshold: FormControl<number | null>;
  outputAction: FormControl<ActionName>;
  outputThreshold: FormControl<number | null>;
}>;

/**
 * The draft of a new version: a form for each detector's actions and thresholds, or the whole
 * document as JSON (sources, types, modes, new detectors). The server validates it when saved; the
 * problems it names appear next to their field, the others above the save button.
 */
@Component({
  selector: 'tp-policy-editor',
  imports: [ReactiveFormsModule],
  template: `
    <div role="group" aria-label="Edit as" class="mb-4 flex gap-2">
      <button
        type="button"
        [class]="mode() === 'form' ? s.pressed : s.secondary"
        [attr.aria-pressed]="mode() === 'form'"
        (click)="showForm()"
      >
        Form
      </button>
      <button
        type="button"
        [class]="mode() === 'json' ? s.pressed : s.secondary"
        [attr.aria-pressed]="mode() === 'json'"
        (click)="showJson()"
      >
        JSON document
      </button>
    </div>
    <form [formGroup]="form" (ngSubmit)="submit()">
      @if (mode() === 'form') {
        <div class="grid gap-4 md:grid-cols-2">
          <ng-container formArrayName="detectors">
            @for (group of form.controls.detectors.controls; track group; let i = $index) {
              <fieldset
                [formGroupName]="i"
                class="rounded-md border border-slate-200 p-3 dark:border-slate-800"
              >
                <legend class="px-1 font-medium">{{ group.controls.name.value }}</legend>
                <div class="grid grid-cols-2 gap-3">
                  @for (direction of directions; track direction) {
                    @let name = group.controls.name.value;
                    <div>
                      <label [for]="fieldId(name, direction, 'action')" [class]="s.label"
                        >{{ direction === 'input' ? 'Input' : 'Output' }} action</label
                      >
                      <select
                        [id]="fieldId(name, direction, 'action')"
                        [formControlName]="direction + 'Action'"
                        [class]="s.select"
                        [attr.aria-invalid]="!!problemAt(name, direction, 'action')"
                        [attr.aria-describedby]="
                          problemAt(name, direction, 'action')
                            ? fieldId(name, direction, 'action') + '-error'
                            : null
                        "
                      >
                        @for (action of actions; track action) {
                          <option [value]="action">{{ action }}</option>
                        }
                      </select>
                      @if (problemAt(name, direction, 'action'); as problem) {
                        <p
                          [id]="fieldId(name, direction, 'action') + '-error'"
                          class="mt-1 text-sm text-red-700 dark:text-red-300"
                        >
                          {{ problem }}
                        </p>
                      }
                    </div>
                    <div>
                      <label [for]="fieldId(name, direction, 'threshold')" [class]="s.label"
                        >{{ direction === 'input' ? 'Input' : 'Output' }} threshold</label
                      >
                      <input
                        [id]="fieldId(name, direction, 'threshold')"
                        type="number"
                        step="0.05"
                        placeholder="default"
                        [formControlName]="direction + 'Threshold'"
                        [class]="s.input"
                        [attr.aria-invalid]="!!problemAt(name, direction, 'threshold')"
                        [attr.aria-describedby]="
                          problemAt(name, direction, 'threshold')
                            ? fieldId(name, direction, 'threshold') + '-error'
                            : null
                        "
                      />
                      @if (problemAt(name, direction, 'threshold'); as problem) {
                        <p
                          [id]="fieldId(name, direction, 'threshold') + '-error'"
                          class="mt-1 text-sm text-red-700 dark:text-red-300"
                        >
                          {{ problem }}
                        </p>
                      }
                    </div>
                  }
                </div>
              </fieldset>
            }
          </ng-container>
        </div>
        <p class="mt-2 text-sm text-slate-600 dark:text-slate-300">
          Thresholds are scores from 0 to 1 (empty: the detector's default). Per-source rules, per-type
          overrides and new detectors are edited in the JSON document.
        </p>
      } @else {
        <label for="policy-json" [class]="s.label">Policy document (JSON)</label>
        <textarea
          id="policy-json"
          rows="24"
          spellcheck="false"
          [formControl]="json"
          [class]="s.input + ' font-mono'"
          [attr.aria-invalid]="otherProblems().length > 0"
          [attr.aria-describedby]="otherProblems().length > 0 ? 'policy-problems' : null"
        ></textarea>
      }
      @if (otherProblems().length > 0) {
        <ul
          id="policy-problems"
          role="alert"
          class="mt-3 list-disc rounded-md bg-red-50 py-2 pr-3 pl-8 text-sm text-red-800 dark:bg-red-950 dark:text-red-200"
        >
          @for (problem of otherProblems(); track $index) {
            <li>
              @if (problem.location) {
                <code>{{ problem.location }}</code>:
              }
              {{ problem.message }}
            </li>
          }
        </ul>
      }
      <div class="mt-4 flex items-center gap-3">
        <button type="submit" [disabled]="busy()" [class]="s.button">Save as a new version</button>
        <button type="button" [class]="s.secondary" (click)="load(document())">Discard changes</button>
      </div>
    </form>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PolicyEditor {
  /** The document the draft starts from (the active policy). */
  readonly document = input.required<Json>();
  /** What the server found wrong with the last draft saved. */
  readonly problems = input<Problem[]>([]);
  readonly busy = input(false);
  readonly save = output<Json>();

  protected readonly s = {
    input: INPUT,
    label: LABEL,
    select: SELECT,
    button: PRIMARY_BUTTON,
    secondary: SECONDARY_BUTTON,
    pressed: `${SECONDARY_BUTTON} bg-slate-200 dark:bg-slate-700`,
  };
  protected readonly actions = ACTIONS;
  protected readonly directions = DIRECTIONS;
  protected readonly mode = signal<'form' | 'json'>('form');
  private readonly fb = inject(NonNullableFormBuilder);
  protected readonly form = this.fb.group({ detectors: new FormArray<DetectorGroup>([]) });
  protected readonly json = this.fb.control('');
  /** The draft's document beyond what the form shows (kept while the form changes). */
  private draft: Json = {};
  /** A draft that is not JSON, said before it reaches the server. */
  private readonly parseProblem = signal<Problem | null>(null);
  /** The fields the form shows, for placing the server's problems next to them. */
  private readonly fieldNames = signal<ReadonlySet<string>>(new Set());

  protected readonly otherProblems = computed(() => {
    const local = this.parseProblem();
    if (local) {
      return [local];
    }
    const onFields = this.mode() === 'form' ? this.fieldNames() : new Set<string>();
    return this.problems().filter((p) => !onFields.has(p.location));
  });

  constructor() {
    effect(() => this.load(this.document()));
  }

  protected fieldId(detector: string, direction: DirectionName, field: string): string {
    return `policy-${detector}-${direction}-${field}`;
  }

  protected problemAt(detector: string, direction: DirectionName, field: string): string | null {
    const location = `detectors.${detector}.${direction}.${field}`;
    return this.problems().find((p) => p.location === location)?.message ?? null;
  }

  load(document: Json): void {
    this.parseProblem.set(null);
    this.setDraft(document);
    this.json.setValue(pretty(document));
  }

  protected showForm(): void {
    if (this.mode() === 'json') {
      const parsed = this.parsed();
      if (parsed === null) {
        return;
      }
      this.setDraft(parsed);
    }
    this.mode.set('form');
  }

  protected showJson(): void {
    if (this.mode() === 'form') {
      this.json.setValue(pretty(this.fromForm()));
    }
    this.mode.set('json');
  }

  /** The draft as it stands (null, and the problem said, if the JSON document does not parse). */
  current(): Json | null {
    return this.mode() === 'form' ? this.fromForm() : this.parsed();
  }

  protected submit(): void {
    const document = this.current();
    if (document !== null) {
      this.save.emit(document);
    }
  }

  private setDraft(document: Json): void {
    this.draft = document;
    const settings = detectorSettings(document);
    const array = this.form.controls.detectors;
    array.clear();
    for (const detector of settings) {
      array.push(
        this.fb.group({
          name: this.fb.control(detector.name),
          inputAction: this.fb.control<ActionName>(detector.input.action),
          inputThreshold: new FormControl<number | null>(detector.input.threshold),
          outputAction: this.fb.control<ActionName>(detector.output.action),
          outputThreshold: new FormControl<number | null>(detector.output.threshold),
        }),
      );
    }
    this.fieldNames.set(
      new Set(
        settings.flatMap(({ name }) =>
          DIRECTIONS.flatMap((d) => [`detectors.${name}.${d}.action`, `detectors.${name}.${d}.threshold`]),
        ),
      ),
    );
  }

  private fromForm(): Json {
    const settings: DetectorSettings[] = this.form.controls.detectors.controls.map((group) => {
      const v = group.getRawValue();
      return {
        name: v.name,
        input: { action: v.inputAction, threshold: v.inputThreshold },
        output: { action: v.outputAction, threshold: v.outputThreshold },
      };
    });
    return withSettings(this.draft, settings);
  }

  /** The JSON editor's document, or null (and a problem said) if it is not a JSON object. */
  private parsed(): Json | null {
    try {
      const value: unknown = JSON.parse(this.json.value);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new SyntaxError('the document must be a JSON object ({ … })');
      }
      this.parseProblem.set(null);
      return value as Json;
    } catch (error: unknown) {
      this.parseProblem.set({
        location: '',
        message: `Not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      });
      return null;
    }
  }
}
