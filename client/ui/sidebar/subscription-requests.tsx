/**
 * Who asks to see our presence (RFC 6121 §3.1): each with the address and the nickname they give (XEP-0172, shown as
 * their claim), to approve or deny. More than a few at once (a flood from strangers) collapse into one notice, with
 * the list behind "Review" and "Deny all".
 */
import { useState } from 'preact/hooks';
import type { SubscriptionRequestDTO } from '../../../server/realtime/contract.js';
import { useServices } from '../context.js';
import { t } from '../../i18n/index.js';

/** Up to this many show one by one; more become a single notice. */
const SHOWN_SINGLY = 3;

export function SubscriptionRequests() {
  const { state } = useServices();
  state.contacts.revision.value;
  const { requests, total } = state.contacts.requests;
  const [expanded, setExpanded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (total === 0) return null;
  const collapsed = total > SHOWN_SINGLY && !expanded;
  return (
    <section class="subscription-requests" data-testid="subscription-requests" aria-labelledby="subscription-requests-heading">
      <h2 id="subscription-requests-heading" class="subscription-requests-heading">{t('requests.heading', { count: total })}</h2>
      {collapsed ? (
        <p class="subscription-requests-flood" data-testid="subscription-flood">
          <button type="button" class="button-quiet" data-testid="subscription-review" onClick={() => setExpanded(true)}>{t('requests.review')}</button>
          <DenyAll onError={setError} />
        </p>
      ) : (
        <>
          <ul class="subscription-request-list">
            {requests.map((r) => <Request key={r.jid} request={r} onError={setError} />)}
          </ul>
          {total > requests.length ? <p class="subscription-requests-more">{t('requests.more', { count: total - requests.length })}</p> : null}
          {total > SHOWN_SINGLY ? <DenyAll onError={setError} /> : null}
        </>
      )}
      <p class="form-error" role="alert" hidden={error === null}>{error ?? ''}</p>
    </section>
  );
}

function DenyAll({ onError }: { onError: (text: string | null) => void }) {
  const { run } = useServices();
  const [busy, setBusy] = useState(false);
  return (
    <button type="button" class="button-quiet" data-testid="subscription-deny-all" disabled={busy} onClick={() => {
      setBusy(true);
      run('denyAllSubscriptions', {})
        .then(() => onError(null))
        .catch((err: Error) => onError(err.message))
        .finally(() => setBusy(false));
    }}>{t('requests.denyAll')}</button>
  );
}

function Request({ request, onError }: { request: SubscriptionRequestDTO; onError: (text: string | null) => void }) {
  const { run } = useServices();
  const [busy, setBusy] = useState(false);
  const answer = (name: 'approveSubscription' | 'denySubscription' | 'block') => {
    setBusy(true);
    run(name, { jid: request.jid })
      .then(() => onError(null))
      .catch((err: Error) => {
        onError(err.message);
        setBusy(false);
      });
  };
  return (
    <li class="subscription-request" data-testid="subscription-request" data-jid={request.jid}>
      <p class="subscription-request-text">
        {request.nick ? <bdi class="subscription-request-nick">{request.nick}</bdi> : null}
        <bdi class="subscription-request-jid">{request.jid}</bdi>
        <span class="subscription-request-asks">{t('requests.asks')}</span>
      </p>
      <div class="subscription-request-actions">
        <button type="button" class="button-primary" data-testid="subscription-approve" disabled={busy} onClick={() => answer('approveSubscription')}>{t('requests.approve')}</button>
        <button type="button" class="button-quiet" data-testid="subscription-deny" disabled={busy} onClick={() => answer('denySubscription')}>{t('requests.deny')}</button>
        {/* Blocking denies the request too (server side), and nothing more comes from them. */}
        <button type="button" class="button-quiet" data-testid="subscription-block" disabled={busy} aria-label={t('blocking.blockRequestLabel', { jid: request.jid })} onClick={() => answer('block')}>{t('blocking.block')}</button>
      </div>
    </li>
  );
}
