/**
 * Message search in the sidebar: one field, the merged results (the server's plain messages and this browser's
 * decrypted OMEMO messages) newest first, each opening its conversation at the message. Snippets are text; the hits
 * in them are <mark> elements around text, never HTML.
 */
import { useState } from 'preact/hooks';
import { snippetRuns } from '../../../server/realtime/contract/search-text.js';
import { focus, type SearchHit } from '../../state/search.js';
import { hashForPeer } from '../../app/router.js';
import { route } from '../../app/route.js';
import { useServices } from '../context.js';
import { listTime } from '../format.js';
import { t } from '../../i18n/index.js';

export function SearchBox() {
  const { search } = useServices();
  search.revision.value;
  const [text, setText] = useState('');
  const [onlyHere, setOnlyHere] = useState(false);
  const current = route.value;
  const here = current.view === 'chat' ? current.peer : undefined;

  const submit = (e: Event): void => {
    e.preventDefault();
    void search.search(text, onlyHere ? here : undefined);
  };
  const clear = (): void => {
    setText('');
    void search.search('');
  };
  const active = search.query.trim() !== '';
  return (
    <div class="message-search" role="search">
      <form onSubmit={submit} class="message-search-form">
        <label class="visually-hidden" for="message-search">{t('search.label')}</label>
        <input
          id="message-search"
          type="search"
          data-testid="search-input"
          placeholder={t('search.placeholder')}
          maxLength={200}
          value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
          onKeyDown={(e) => e.key === 'Escape' && clear()}
        />
        <button type="submit" class="visually-hidden">{t('search.submit')}</button>
        {here !== undefined ? (
          <label class="field-hint message-search-scope">
            <input type="checkbox" data-testid="search-only-here" checked={onlyHere} onChange={(e) => setOnlyHere((e.target as HTMLInputElement).checked)} />{' '}
            {t('search.onlyHere')}
          </label>
        ) : null}
      </form>
      {active ? <SearchResults /> : null}
    </div>
  );
}

function SearchResults() {
  const { search, state } = useServices();
  // Its own subscription: @preact/signals skips a child whose props did not change.
  search.revision.value;
  state.contacts.revision.value;
  const status = search.loading ? t('search.searching') : search.error ? t('search.error', { error: search.error }) : search.hits.length === 0 ? t('search.none') : t('search.results', { count: search.hits.length });
  return (
    <div class="search-results" data-testid="search-results">
      <p class="field-hint" aria-live="polite">{status}</p>
      <ul>
        {search.hits.map((hit) => (
          <li key={hit.id}>
            <HitButton hit={hit} name={state.contacts.displayName(hit.peer)} />
          </li>
        ))}
      </ul>
      {search.hasMore ? (
        <button type="button" class="link-button" data-testid="search-more" disabled={search.loading} onClick={() => void search.more()}>{t('search.more')}</button>
      ) : null}
    </div>
  );
}

function HitButton({ hit, name }: { hit: SearchHit; name: string }) {
  const { history } = useServices();
  const open = (): void => {
    focus.value = { peer: hit.peer, id: hit.id };
    history.loadAround(hit.peer, hit.id);
    location.hash = hashForPeer(hit.peer);
  };
  const when = listTime(hit.stamp);
  return (
    <button type="button" class="search-hit" data-testid="search-hit" data-message-id={hit.id} onClick={open}
      aria-label={t('search.hitLabel', { name, when, text: hit.snippet.text })}>
      <span class="search-hit-head">
        <bdi class="search-hit-name">{name}</bdi>
        <time dateTime={hit.stamp}>{when}</time>
      </span>
      <span class="search-hit-text" dir="auto">
        {hit.snippet.cutStart ? '… ' : ''}
        {snippetRuns(hit.snippet).map((r, i) => (r.hit ? <mark key={i}>{r.text}</mark> : r.text))}
        {hit.snippet.cutEnd ? ' …' : ''}
      </span>
      {hit.encrypted ? <span class="search-hit-note">{t('search.encrypted')}</span> : null}
    </button>
  );
}
