import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { ApiClient, Schema } from '../../api/client';

export type Member = Schema<'MemberOut'>;
export type MemberPage = Schema<'Page_MemberOut_'>;
export type Invitation = Schema<'InvitationOut'>;
export type InvitationPage = Schema<'Page_InvitationOut_'>;
export type CreatedInvitation = Schema<'InvitationCreated'>;
export type Role = Schema<'Role'>;

/** `/api/v1/members` and `/api/v1/invitations`: who belongs to the tenant, and who is invited. */
@Injectable({ providedIn: 'root' })
export class MembersApi {
  private readonly api = inject(ApiClient);

  list(cursor?: string): Observable<MemberPage> {
    return this.api.get('/api/v1/members', { query: { limit: 100, cursor } });
  }

  changeRole(id: string, role: Role): Observable<Member> {
    return this.api.patch('/api/v1/members/{member_id}', { role }, { path: { member_id: id } });
  }

  remove(id: string): Observable<void> {
    return this.api.delete('/api/v1/members/{member_id}', { path: { member_id: id } });
  }

  invitations(cursor?: string): Observable<InvitationPage> {
    return this.api.get('/api/v1/invitations', { query: { limit: 100, cursor } });
  }

  invite(email: string, role: Role): Observable<CreatedInvitation> {
    return this.api.post('/api/v1/invitations', { email, role });
  }

  revoke(id: string): Observable<void> {
    return this.api.delete('/api/v1/invitations/{invitation_id}', {
      path: { invitation_id: id },
    });
  }
}
