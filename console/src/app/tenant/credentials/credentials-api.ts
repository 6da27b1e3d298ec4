import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { ApiClient, Schema } from '../../api/client';

export type Credential = Schema<'CredentialOut'>;
export type NewCredential = Schema<'CredentialCreate'>;
export type CredentialChange = Schema<'CredentialUpdate'>;
export type ProviderType = NewCredential['type'];

export const PROVIDER_TYPES: readonly { value: ProviderType; label: string }[] = [
  { value: 'openai', label: 'OpenAI (or OpenAI-compatible)' },
  { value: 'azure_openai', label: 'Azure OpenAI' },
  { value: 'anthropic', label: 'Anthropic' },
  { value: 'gemini', label: 'Google Gemini' },
];

/** `/api/v1/credentials`: the tenant's own provider accounts. Their API keys are write-only. */
@Injectable({ providedIn: 'root' })
export class CredentialsApi {
  private readonly api = inject(ApiClient);

  list(): Observable<Schema<'Page_CredentialOut_'>> {
    return this.api.get('/api/v1/credentials', { query: { limit: 200 } });
  }

  create(credential: NewCredential): Observable<Credential> {
    return this.api.post('/api/v1/credentials', credential);
  }

  update(id: string, change: CredentialChange): Observable<Credential> {
    return this.api.patch('/api/v1/credentials/{credential_id}', change, { path: { credential_id: id } });
  }

  remove(id: string): Observable<void> {
    return this.api.delete('/api/v1/credentials/{credential_id}', { path: { credential_id: id } });
  }
}
