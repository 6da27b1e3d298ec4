import { PlanDraft, PriceDraft, money, planBody, priceBody } from './billing-form';

const PLAN: PlanDraft = {
  name: 'team',
  monthlyFee: '',
  includedTokens: '',
  overagePerMtok: '',
  includedSpend: '',
  markupPct: '',
};
const PRICE: PriceDraft = { model: 'gpt-4o-mini', input: '0.15', output: '0.6', cachedInput: '' };

describe('money', () => {
  it('keeps amounts as decimal strings and refuses what is not one', () => {
    expect(money(' 49 ')).toBe('49');
    expect(money('$2.50')).toBe('2.50');
    expect(money('0.000001')).toBe('0.000001');
    for (const bad of ['', '-1', '1.1234567', '1e3', 'ten', '1,5']) {
      expect(money(bad)).toBeNull();
    }
  });
});

describe('planBody', () => {
  it('fills empty amounts with 0 and reads the included tokens with separators', () => {
    expect(planBody({ ...PLAN, monthlyFee: '49.99', includedTokens: '5,000,000' })).toEqual({
      name: 'team',
      monthly_fee_usd: '49.99',
      included_tokens: 5_000_000,
      overage_per_mtok_usd: '0',
      included_spend_usd: '0',
      overage_markup_pct: '0',
    });
  });

  it('says what is wrong', () => {
    expect(planBody({ ...PLAN, name: ' ' })).toBe('Give the plan a name.');
    expect(planBody({ ...PLAN, monthlyFee: '-5' })).toContain('The monthly fee');
    expect(planBody({ ...PLAN, markupPct: 'lots' })).toContain('The markup');
    expect(planBody({ ...PLAN, includedTokens: '1.5' })).toContain('whole number');
  });
});

describe('priceBody', () => {
  it('sends the prices as decimal strings, the cached one only when given', () => {
    expect(priceBody(PRICE)).toEqual({
      model: 'gpt-4o-mini',
      input_per_mtok: '0.15',
      output_per_mtok: '0.6',
    });
    expect(priceBody({ ...PRICE, cachedInput: '0.075' })).toEqual({
      model: 'gpt-4o-mini',
      input_per_mtok: '0.15',
      output_per_mtok: '0.6',
      cached_input_per_mtok: '0.075',
    });
  });

  it('says what is wrong', () => {
    expect(priceBody({ ...PRICE, model: '' })).toContain('Name the upstream model');
    expect(priceBody({ ...PRICE, output: '' })).toContain('input and output prices');
    expect(priceBody({ ...PRICE, cachedInput: 'x' })).toContain('cached input price');
  });
});
