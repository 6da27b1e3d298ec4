import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { ApiClient, Schema } from '../../api/client';

export type Budget = Schema<'BudgetOut'>;
export type BudgetStatus = Schema<'BudgetStatusOut'>;
export type NewBudget = Schema<'BudgetCreate'>;
export type BudgetChange = Schema<'BudgetUpdate'>;

/** `/api/v1/budgets`: spending limits of the tenant or of one key, with alerts. */
@Injectable({ providedIn: 'root' })
export class BudgetsApi {
  private readonly api = inject(ApiClient);

  list(): Observable<Schema<'Page_BudgetOut_'>> {
    return this.api.get('/api/v1/budgets', { query: { limit: 200 } });
  }

  status(id: string): Observable<BudgetStatus> {
    return this.api.get('/api/v1/budgets/{budget_id}/status', { path: { budget_id: id } });
  }

  create(budget: NewBudget): Observable<Budget> {
    return this.api.post('/api/v1/budgets', budget);
  }

  update(id: string, change: BudgetChange): Observable<Budget> {
    return this.api.patch('/api/v1/budgets/{budget_id}', change, { path: { budget_id: id } });
  }

  remove(id: string): Observable<void> {
    return this.api.delete('/api/v1/budgets/{budget_id}', { path: { budget_id: id } });
  }
}
