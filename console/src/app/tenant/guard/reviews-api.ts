import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { ApiClient, Schema } from '../../api/client';

export type Review = Schema<'ReviewOut'>;
export type ReviewPage = Schema<'Page_ReviewOut_'>;
export type ReviewStatus = Review['status'];
export type Verdict = Schema<'ReviewResolve'>['status'];

/** `/api/v1/reviews`: findings of the guard's async detectors, for a person to confirm or dismiss. */
@Injectable({ providedIn: 'root' })
export class ReviewsApi {
  private readonly api = inject(ApiClient);

  list(
    status: ReviewStatus | undefined,
    detector: string | undefined,
    limit: number,
    cursor?: string,
  ): Observable<ReviewPage> {
    return this.api.get('/api/v1/reviews', {
      query: { status, detector: detector || undefined, limit, cursor },
    });
  }

  resolve(id: string, status: Verdict, note: string): Observable<Review> {
    return this.api.post(
      '/api/v1/reviews/{review_id}/resolve',
      { status, note },
      { path: { review_id: id } },
    );
  }
}
