import { HttpErrorResponse } from '@angular/common/http';

import { formErrors } from './field-errors';

function refused(status: number, error: unknown): HttpErrorResponse {
  return new HttpErrorResponse({ status, statusText: 'Refused', error });
}

describe('formErrors', () => {
  const known = ['alias', 'targets', 'targets.0.model', 'cache_ttl_s'];

  it('puts a 422’s details on the fields they name, or the nearest field above', () => {
    const error = refused(422, {
      error: {
        code: 'validation_failed',
        message: 'the request is not valid',
        details: [
          { field: 'body.alias', message: 'String should match pattern' },
          { field: 'body.targets.0.model', message: 'String should have at least 1 character' },
          { field: 'body.targets.1.provider', message: 'Field required' },
          { field: 'body.regions.0', message: 'bad region' },
        ],
      },
    });
    expect(formErrors(error, known)).toEqual({
      fields: {
        alias: 'String should match pattern',
        'targets.0.model': 'String should have at least 1 character',
        targets: 'Field required',
      },
      other: 'regions.0: bad region',
    });
  });

  it('places an API code on its field, with the API’s message', () => {
    const error = refused(409, { error: { code: 'duplicate_alias', message: "a route for 'x' exists" } });
    expect(formErrors(error, known, { duplicate_alias: 'alias' })).toEqual({
      fields: { alias: "a route for 'x' exists" },
      other: '',
    });
  });

  it('says what no field claims above the form', () => {
    const error = refused(403, { error: { code: 'permission_denied', message: 'not allowed' } });
    expect(formErrors(error, known, { duplicate_alias: 'alias' })).toEqual({
      fields: {},
      other: 'not allowed',
    });
  });
});
