import type { NewOverride, NewPlan } from './billing-api';

/** US dollars as typed: digits, optionally a point and up to six decimals (what the server keeps). */
const MONEY = /^\d{1,13}(\.\d{1,6})?$/;

/** The amount as the API takes it (a decimal string, never a float), or null if it is not one. */
export function money(text: string): string | null {
  const value = text.trim().replace(/^\$/, '');
  return MONEY.test(value) ? value : null;
}

export interface PlanDraft {
  name: string;
  monthlyFee: string;
  includedTokens: string;
  overagePerMtok: string;
  includedSpend: string;
  markupPct: string;
}

export interface PriceDraft {
  model: string;
  input: string;
  output: string;
  cachedInput: string;
}

/** A new plan's body, or what is wrong with the draft. Empty amounts are 0. */
export function planBody(draft: PlanDraft): NewPlan | string {
  const name = draft.name.trim();
  if (!name) {
    return 'Give the plan a name.';
  }
  const amounts: [keyof PlanDraft, string][] = [
    ['monthlyFee', 'The monthly fee'],
    ['overagePerMtok', 'The price per million tokens over the included ones'],
    ['includedSpend', 'The included provider spend'],
    ['markupPct', 'The markup'],
  ];
  const parsed: Partial<Record<keyof PlanDraft, string>> = {};
  for (const [field, label] of amounts) {
    const value = draft[field].trim() ? money(draft[field]) : '0';
    if (value === null) {
      return `${label} must be an amount such as 49 or 2.50.`;
    }
    parsed[field] = value;
  }
  const tokens = draft.includedTokens.trim().replace(/[_,\s]/g, '') || '0';
  if (!/^\d{1,16}$/.test(tokens)) {
    return 'The included tokens must be a whole number.';
  }
  return {
    name,
    monthly_fee_usd: parsed.monthlyFee!,
    included_tokens: Number(tokens),
    overage_per_mtok_usd: parsed.overagePerMtok!,
    included_spend_usd: parsed.includedSpend!,
    overage_markup_pct: parsed.markupPct!,
  };
}

/** A negotiated price's body, or what is wrong with the draft. The cached input price is optional. */
export function priceBody(draft: PriceDraft): NewOverride | string {
  const model = draft.model.trim();
  if (!model) {
    return 'Name the upstream model, as in the pricing catalog (e.g. gpt-4o-mini).';
  }
  const input = money(draft.input);
  const output = money(draft.output);
  if (input === null || output === null) {
    return 'The input and output prices must be amounts per million tokens, such as 0.15.';
  }
  const body: NewOverride = { model, input_per_mtok: input, output_per_mtok: output };
  if (draft.cachedInput.trim()) {
    const cached = money(draft.cachedInput);
    if (cached === null) {
      return 'The cached input price must be an amount per million tokens, or empty.';
    }
    body.cached_input_per_mtok = cached;
  }
  return body;
}
