import { ServerConnection } from '@jupyterlab/services';

import { NbkitAPI, NbkitApiError, serverRequester } from '../src/api';
import { FakeServer, lintReply } from './fakes';

describe('NbkitAPI', () => {
  it('lints the saved file: POST lint with only the path', async () => {
    const server = new FakeServer().on('POST', 'lint', () => ({ json: lintReply() }));
    const reply = await server.api().lint('dir/a.ipynb');
    expect(server.requests).toEqual([
      { endpoint: 'lint', method: 'POST', body: { path: 'dir/a.ipynb' } }
    ]);
    expect(reply.schema).toBe('nbkit.lint/1');
    expect(reply.findings).toHaveLength(4);
  });

  it('sends unsaved content, the profile and the ignored codes when given', async () => {
    const server = new FakeServer().on('POST', 'lint', () => ({ json: lintReply() }));
    const content = { cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 };
    await server.api().lint('a.ipynb', { content, profile: 'report', ignore: ['NBH'] });
    expect(server.requests[0].body).toEqual({
      path: 'a.ipynb',
      content,
      profile: 'report',
      ignore: ['NBH']
    });
  });

  it('turns an error reply into NbkitApiError with the server message and status', async () => {
    const server = new FakeServer().on('POST', 'lint', () => ({
      status: 400,
      json: { message: 'a.ipynb: not valid JSON (line 3)' }
    }));
    const error = await server.api().lint('a.ipynb').catch(e => e);
    expect(error).toBeInstanceOf(NbkitApiError);
    expect(error.status).toBe(400);
    expect(error.message).toBe('a.ipynb: not valid JSON (line 3)');
  });

  it('reports an unreachable server as status 0', async () => {
    const api = new NbkitAPI(async () => {
      throw new TypeError('Failed to fetch');
    });
    const error = await api.rules().catch(e => e);
    expect(error).toBeInstanceOf(NbkitApiError);
    expect(error.status).toBe(0);
    expect(error.message).toContain('Failed to fetch');
  });

  it('rejects a reply that is not JSON', async () => {
    const server = new FakeServer().on('GET', 'rules', () => ({ text: '<html>' }));
    await expect(server.api().rules()).rejects.toThrow('not JSON');
  });

  it('starts, polls and cancels verify jobs', async () => {
    const server = new FakeServer()
      .on('POST', 'verify', () => ({ status: 202, json: { job: 'abc', state: 'queued' } }))
      .on('GET', 'verify/abc', () => ({
        json: { job: 'abc', state: 'running', progress: { cells: 4, done: 1, current: 1 } }
      }))
      .on('DELETE', 'verify/abc', () => ({ json: { job: 'abc', state: 'cancelled' } }));
    const api = server.api();
    const job = await api.startVerify('a.ipynb', { timeout: 30, parameters: { SEED: 7 } });
    expect(job).toBe('abc');
    expect(server.requests[0].body).toEqual({
      path: 'a.ipynb',
      timeout: 30,
      parameters: { SEED: 7 }
    });
    const status = await api.verifyStatus(job);
    expect(status.progress).toEqual({ cells: 4, done: 1, current: 1 });
    await api.cancelVerify(job);
    expect(server.requests.map(r => `${r.method} ${r.endpoint}`)).toEqual([
      'POST verify',
      'GET verify/abc',
      'DELETE verify/abc'
    ]);
  });

  it('asks for the pinned environment only when told to', async () => {
    const server = new FakeServer().on('POST', 'verify', () => ({ status: 202, json: { job: 'j' } }));
    await server.api().startVerify('a.ipynb', { env: 'pinned' });
    await server.api().startVerify('a.ipynb');
    expect(server.requests[0].body).toEqual({ path: 'a.ipynb', env: 'pinned' });
    expect(server.requests[1].body).toEqual({ path: 'a.ipynb' });
  });

  it('refuses a verify reply without a job id', async () => {
    const server = new FakeServer().on('POST', 'verify', () => ({ status: 202, json: {} }));
    await expect(server.api().startVerify('a.ipynb')).rejects.toThrow('no job id');
  });

  it('pins with and without a seed', async () => {
    const server = new FakeServer().on('POST', 'pin', body => ({ json: { path: body.path, nbkit: {} } }));
    const api = server.api();
    await api.pin('a.ipynb');
    await api.pin('a.ipynb', 42);
    expect(server.requests.map(r => r.body)).toEqual([
      { path: 'a.ipynb' },
      { path: 'a.ipynb', seed: 42 }
    ]);
  });

  it('unwraps the template and rules replies', async () => {
    const cells = [{ cell_type: 'markdown', source: '# Title' }];
    const server = new FakeServer()
      .on('GET', 'template', () => ({ json: { cells } }))
      .on('GET', 'rules', () => ({
        json: { schema: 'nbkit.rules/1', rules: [{ code: 'NBR004', name: 'unseeded-random' }] }
      }));
    const api = server.api();
    expect(await api.template()).toEqual(cells);
    expect((await api.rules()).map(r => r.code)).toEqual(['NBR004']);
  });

  it('serverRequester targets {base_url}/nbkit/api/ through ServerConnection', async () => {
    const seen: { url: string; method: string }[] = [];
    const settings = ServerConnection.makeSettings({
      baseUrl: 'http://localhost:8888/lab-base/',
      fetch: (async (request: Request | string, init?: RequestInit) => {
        const url = (typeof request === 'string' ? request : request.url).split('?')[0];
        const method = typeof request === 'string' ? (init?.method ?? 'GET') : request.method;
        seen.push({ url, method });
        return new Response(JSON.stringify({ cells: [] }), { status: 200 });
      }) as any
    });
    const api = new NbkitAPI(serverRequester(settings));
    expect(await api.template()).toEqual([]);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toEqual({
      url: 'http://localhost:8888/lab-base/nbkit/api/template',
      method: 'GET'
    });
  });
});
