/**
 * Bounce classification: an SMTP reply (or a client-side error name) in, a verdict out. Pure code,
 * its policy an ordered table (first match wins) so that it reads like the spec
 * (docs/delivery-rules.md): provider wording beats RFC 3463 enhanced codes, which beat the basic
 * reply code; a reply that matches nothing specific falls back to its first digit.
 *
 * The input is untrusted (a remote server wrote it): every pattern here is linear, bounded gaps
 * (`.{0,40}`) and alternations only, never a quantified group that itself repeats.
 */
export type BounceCategory = 'delivered' | 'hard_bounce' | 'mailbox_full' | 'soft_bounce' | 'blocked';

export type Classification = {
  category: BounceCategory;
  reason: string;
  code: number | null;
  enhancedCode: string | null;
  rule: string;
};

/** What a rule sees: the reply taken apart. */
export type ParsedReply = {
  text: string;
  /**
   * The text the wording rules read: compatibility forms folded (full-width letters become ASCII),
   * accents dropped from Latin letters (`boîte` reads `boite`, `Empfänger` reads `Empfanger`, as
   * servers that write ASCII only spell them), typographic apostrophes made plain. Other scripts
   * (Cyrillic, kana, CJK) are kept as they are.
   */
  folded: string;
  code: number | null;
  enhancedCode: string | null;
  /** The client-side error name (`ETIMEDOUT`, `ENOTFOUND`, ...) when there was no reply. */
  errorName: string | null;
  /**
   * 5xx or 5.x.x; a temporary reply (4xx / 4.x.x) is never a permanent verdict. A diagnostic
   * with no code at all (a reporting MTA's own words, `Unrouteable address`) counts as permanent
   * unless it speaks of trying again.
   */
  permanent: boolean;
};

type Verdict = { category: BounceCategory; reason: string };
type Rule = {
  name: string;
  when: (r: ParsedReply) => boolean;
  then: Verdict | ((r: ParsedReply) => Verdict);
};

/** One case-insensitive pattern out of several, each written as a regex literal of its own. */
const anyOf = (...parts: RegExp[]) => new RegExp(parts.map((p) => p.source).join('|'), 'i');

/** Words of a reply (or of a reporting MTA's diagnostic), whatever its code. */
const wording = (re: RegExp) => (r: ParsedReply) => r.errorName === null && re.test(r.folded);
const enhanced = (re: RegExp) => (r: ParsedReply) => r.enhancedCode !== null && re.test(r.enhancedCode);
/** Address wording counts only on a permanent reply: on a 4xx the enhanced code decides (X.1.1 = bad address). */
const addressWording = (re: RegExp) => (r: ParsedReply) => r.permanent && wording(re)(r);
const errorName =
  (...names: string[]) =>
  (r: ParsedReply) =>
    r.errorName !== null && names.includes(r.errorName);
/** A refusal about the sender or message: `blocked` when permanent, retried when temporary. */
const refusal =
  (reason: string, temporaryReason = reason) =>
  (r: ParsedReply) =>
    r.permanent
      ? { category: 'blocked' as const, reason }
      : { category: 'soft_bounce' as const, reason: temporaryReason };
const MAILBOX_FULL = { category: 'mailbox_full', reason: 'mailbox_full' } as const;
const soft = (reason: string): Verdict => ({ category: 'soft_bounce', reason });
const hard = (reason: string): Verdict => ({ category: 'hard_bounce', reason });

// ── Wording, one list per meaning. English first, then German, French, Spanish, Portuguese,
// Italian, Dutch, Russian, Japanese, Chinese, Korean, Polish, Czech (accents are folded away before
// matching, so `ä` is written `a`, `ã` `a`, `ç` `c`, `ł` `l`, `ß` `ss`).

/** Our sending is too fast or too much: temporary by nature, whatever the code says. */
const RATE_LIMIT = anyOf(
  /(sending|submission) (quota|limit)|daily (user )?(sending )?quota|(relay|message|recipient|receive|hourly|daily) (quota|limit) (exceeded|reached)/,
  /exceeded (their|its|the|permitted) limits?|threshold (exceeded|reached)|excessive (volume|number of)|maximum connection limit/,
  /too many errors from your ip|limit for (message )?recipients|per hour message|numerous attempts/,
  /receiving mail (too quickly|at a rate)|max(imum)? (number of )?messages? per (connection|session|hour|day)/,
  /too many (messages|emails|mails)(?! (on the server|in (the |this |your )?(mailbox|inbox)))|too many (connections|concurrent|sessions|recipients|requests|smtp)/,
  /rate.?limit|throttl|(please )?try again slower|slow down|frequency limit|frequency limited/,
  /connection (rate|limit|count) |exceeded the (maximum )?(rate|number of)|sent to too many recipients/,
  /max(imum)? (emails|messages|recipients) per|daily (message|relay) (quota|limit)/,
  /trop de connexions|zu viele (verbindungen|nachrichten|e-?mails)|demasiadas conexiones|troppe connessioni/,
  // Microsoft 365 refusing our own submissions when we relay through it: our quota, not a mailbox's.
  /submissionquotaexceeded/,
  /muitas conexoes|te veel verbindingen|слишком много (соединений|писем|сообщений)|频率|頻率|送信数.{0,10}超/,
  // A sending quota, a word or two before its preposition too ("cuota diaria de envio").
  /(cuota|cota|quota|limite)( [a-z]+){0,2} (de envio|di invio|de destinatarios|di destinatari|de conexiones|di connessioni)/,
  /(cuota|cota|quota|limite) (de|di) (mensajes|mensagens|messaggi) (por|per) (hora|ora|dia|giorno)|(kontingent|limit) (fur den |an )?versand/,
  /(cuota|cota) (diaria|horaria)|quota (giornaliera|oraria)|tageslimit|tageskontingent/,
);
/** Volume or complaints from our address: a reputation refusal, retried only when temporary. */
const UNSOLICITED_VOLUME = anyOf(
  /unusual (amount|rate|volume) of (unsolicited )?mail|unexpected volume|user complaints|high volume of/,
);
/** The receiving system itself is out of space or resources (not the mailbox). */
const SERVER_STORAGE = anyOf(
  /insufficient (system )?(storage|resources|disk space)|mail system full|system (disk )?(is )?full/,
  /no space left on device|out of (disk )?space on (the )?(server|system)|temporarily out of resources/,
  /(spazio|espacio|espaco) (su|en|em) disco|(capacidad|capacita|capacidade) (maxima )?de conex/,
);
const MAILBOX_FULL_WORDING = anyOf(
  /mailbox (is |was )?full|full mailbox|(inbox|mailbox|mailfolder|account|folder|box|maildir) (is )?(full|over quota)/,
  /over ?quota|quota (exceeded|exceed|full|violation|usage exceeded)|(exceeded|exceeds|exceeding|reached) (its |the |their |his |her |your )?(mailbox |disk |storage )?quota/,
  /(disk|disc|diskspace|storage|mailbox|mail|user|inbox|maildir|userdisk|domaindisk) quota/,
  /(mail)?box.{0,20}(over|exceeds?|exceeded).{0,10}(quota|storage|size|limit)|out of storage/,
  /exceeded (its |the )?(storage|quota|disk space)|storage (quota|limit|allocation|space)/,
  /(not enough|insufficient|not sufficient) (storage |disk |mailbox )?space|does not have enough space/,
  /(mailbox|maildir|mail file) size (limit )?exceed|exceeds (the )?allowed size|space has been used up/,
  /too many messages (on the server|in (the |this )?(mailbox|inbox))|number of messages.{0,40}exceeded/,
  // Exchange Online's store: `STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded`.
  /quotaexceeded|shutoffquota|mailboxfull/,
  /too much mail data|user.{0,30}(is over|has exceeded).{0,20}(quota|limit)|mailbox size limit|over the allowed quota/,
  /would exceed (the )?maximum allowed storage|mailbox exceeded the (local )?limit|exceeding (its |their )?receiving limits?/,
  /boite (aux lettres |du destinataire |de reception ){0,2}(est )?pleine|quota (depasse|atteint)|overquota/,
  /postfach (des empfangers )?(ist )?(voll|uberfullt)|mailbox (ist )?voll|speicher(platz)? (ist )?(voll|erschopft|uberschritten)|quota uberschritten/,
  /buzon (de correo |del destinatario ){0,2}(esta )?(lleno|completo)|cuota (excedida|superada)|espacio insuficiente/,
  // The mailbox's quota; a sending quota (`cuota de envio`) is read as a rate limit before this.
  /(excedido|superado|sobrepasado|alcanzado) (su |la )?(cuota|limite) de (almacenamiento|espacio|buzon)|(excedido|superado) su cuota(?! (de|diaria|mensual|por|horaria))/,
  /caixa (postal |de correio |de entrada )?(do destinatario )?(esta )?(cheia|lotada)|cota (de armazenamento )?(excedida|esgotada)/,
  /(excedeu|ultrapassou|atingiu) (a |sua |o )?(cota|quota|limite) de (armazenamento|espaco)/,
  /casella (di posta |postale )?(del destinatario )?(e )?piena|quota superata|spazio insufficiente/,
  /(casella|mailbox|destinatario).{0,40}(superato|ecceduto|raggiunto) (la |il )?(quota|limite di spazio|spazio disponibile)/,
  /(mailbox|postbus|postvak|brievenbus) (is )?(vol|overvol)|quotum overschreden/,
  /ящик.{0,20}(переполнен|полон)|переполнен|превышен\S* (квот|лимит|размер)|недостаточно места/,
  /メールボックス.{0,10}(いっぱい|満杯|容量)|容量(超過|オーバー|不足)|容量制限/,
  /(邮箱|郵箱|信箱|空间|空間|容量).{0,4}(已满|已滿|满了|不足|超出|超过)|超出.{0,6}(容量|配额)/,
);
const MESSAGE_TOO_LARGE = anyOf(
  /message (size|length) exceeds|message (is )?too (big|large)|exceeds (the )?(fixed )?(maximum )?(message )?size/,
  /size limit|message size|too large|too big|(e-?mail|mail|message) size exceeded|line (length )?limit exceeded|line too long/,
  /taille (limite )?du message/,
  /nachricht (ist )?zu gross|message trop (gros|volumineux)|mensaje demasiado grande|messaggio troppo grande/,
  /слишком (большое|большой)|サイズ.{0,6}(超過|大き)|邮件(过大|太大)|郵件(過大|太大)/,
);
/** RFC 7505: the domain says it takes no mail at all; no retry can change that. */
const NULL_MX = anyOf(
  /null mx|indicated no smtp service|(domain|host)( \S+)? does(n't| not) (accept|receive) (e-?mail|mail)(?! from)|host\/domain does not accept/,
);
/** A reporting MTA that could not resolve the domain this time (SERVFAIL, timeout, bad answer). */
const DNS_TEMPORARY = anyOf(
  /host not found, try again|malformed (or unexpected )?name server reply|name server (timeout|failure)/,
  /host name lookup failure|dns (query|lookup) (timed? ?out|error)|temporary (dns|name|lookup) (failure|error)/,
  /servfail|dns.{0,20}(timeout|try again)|name service error for (domain|name=\S+ type=\S+): host not found, try again/,
);
const BLOCKLISTED = anyOf(
  /spamhaus|spamcop|barracuda|sorbs|\bRBLs?\b|\bDNSBLs?\b|\bURIBLs?\b|block ?list|black ?list|blocked using|(?<!not )listed (at|on|in|by)/,
  /poor (ip )?reputation|bad reputation|reputation|client host .{0,60}blocked|banned sending ip|not accepted from this ip/,
  /\bS3150\b|\bAS\(?\d+\)?.{0,20}blocked|messages from .{0,40}(weren't|were not) sent|\bSC-00\d\b|\bDY-00\d\b/,
  /blocked (by|for abuse|for spam)|ip (address )?(is |has been )?(blocked|banned|blacklisted|on our block)/,
  // T-Online names the sending IP and its postmaster desk, not the mailbox: `554 IP=192.0.2.1 - A problem occurred`.
  /\bip=\d{1,3}(\.\d{1,3}){3}\b.{0,40}problem occurred|tosa@rx\.t-online\.de/,
  /(access|connections?) from (ip|host|your ip).{0,40}(blocked|denied|refused)/,
  /use (the )?smtp (server|relay) of your (isp|provider)|dynamic(ally assigned)? ip|residential ip|dial-?up/,
  /(sender |bad |your )ip( address)? (rejected|profile)|bad (sender )?ip|ip profile|open proxy|accepting mail from your ip/,
  /helo (command )?rejected|bad helo|unwanted messages|bounce attacks|no access from mail server/,
  /ip.{0,20}(gesperrt|blockiert|bloquee|bloqueada|bloccato|bloccata|geblokkeerd|заблокирован)/,
  /czarnej liscie|czarna lista|cerne listin|cernou listinu|reject(ed)? by ers\b/,
  /ip.{0,10}(被)?(屏蔽|封禁|拒绝|拒絕|ブロック|拒否)|(黑名单|黑名單|ブラックリスト)/,
);
const AUTH = anyOf(
  /\bSPF\b|\bDKIM\b|\bDMARC\b|not (properly )?authenticated|authentication (checks? )?(fail|required)/,
  /unauthenticated|sender (identity|domain) (verification|authentication)|turn on smtp authentication/,
  /invalid ip for sending mail of domain|not authorized to send (mail )?(on behalf|from|for)|sender policy framework/,
  /starttls (is )?required|tls (is )?required|requires? (encryption|tls|high-strength)|authentication (credentials|turned on)/,
  /incorrect authentication|failed to authenticate|authentication is required/,
);
const RELAY_DENIED = anyOf(
  /relay(ing)? (access )?(denied|not permitted|prohibited|not allowed)|not permitted to relay|unable to relay/,
  /(do not|don't|cannot) relay|not allowed to relay|allowed rcpthosts|no relaying|insecure mail relay/,
  /not configured to relay|open relay|as a relay|relaying mail to|not a gateway|we don't handle mail for/,
  /to a non-local e-?mail address/,
);
const SENDER_REJECTED = anyOf(
  /sender (address |domain )?(rejected|denied|refused|invalid|not allowed|blocked)|sender verif(y|ication) failed/,
  /unroutable sender|(domain of )?sender (address|domain).{0,80}(does not|must) exist|sender was rejected/,
  /from: domain is invalid|mail ?from domain|valid sender domain|my name was rejected|address is not verified/,
  /identities failed the check|not a member of this (mailing )?list|not allowed to (send|post) to/,
  /invalid sender|sender (e-?mail )?(address )?(is empty|not pre-approved)|sender domain is empty|emetteur invalide/,
  /\bbatv\b|(third-party|unsigned) dsn|envelope from address|mail from not owned|from a different address or alias/,
  /server does not accept mail from|address used to send your message is not subscribed/,
  // GMX and web.de about the sender's domain: "mailbox unavailable ... invalid DNS MX or A/AAAA".
  /invalid dns mx or a\/aaaa resource record/,
);
/**
 * Said before our recipient was named (at connection, greeting, HELO/EHLO or MAIL FROM), as the
 * reporting MTA's transcript shows: a refusal of our host or sender, never of the address.
 */
const BEFORE_RECIPIENT = anyOf(
  /after (initial connection|mail from|ehlo|helo|connect)|in reply to (mail from|ehlo|helo) command/,
  /refused to talk to me|connected to .{0,60} but sender was rejected/,
  /in reply to the (mail from|ehlo|helo)|not accepting connections/,
  // hMailServer: `hMailServer sent: MAIL FROM:<…>` then `Remote server replied: 550 …`.
  /\bsent: (mail from|ehlo|helo)\b/,
);
const POLICY = anyOf(
  /administrative prohibition|local policy|policy reasons|(denied|rejected|refused|blocked) by policy|reject(ed)? due to policy|policy violation|protocol violation/,
  /security polic(y|ies)|message not allowed|header error|duplicate header|headers? too (large|long)/,
  /multiple addresses in from|not rfc ?5322 compliant|improperly.formatted|redundant\. you cannot send/,
  /may not be mail exchanger|not (a )?registered gateway user|organizational settings|mass mailer/,
  /(illegal|prohibited|executable|dangerous) attachment|attachments? (are |is )?not (allowed|accepted)|images or other attachments/,
  /non-?member|members-only|closed mailing list|not accepting mail with|message header|mime (headers|complexity)/,
  // Google Groups: the group exists, or not; either way it is no verdict on one mailbox.
  /(not have|no) permission to post|not (allowed|authori[sz]ed|permitted) to post/,
  /base64 encoding|8-bit data|rfc ?\d* ?(non-?)?complian|noncompliant|header are not accepted/,
  // Gateways' sender checks (Mimecast, Proofpoint): about the message's sender, not the mailbox.
  /anti-?spoofing|(suspected|possible) spoof|spoofed (sender|mail)|mail from this sender is not accepted/,
);
const SPAM = anyOf(
  /spam|unsolicited|junk mail|bulk mail|phish|virus|malware|content (was )?(rejected|filter)/,
  /message (content )?(rejected|refused) (due to|as|because)|suspicious|\bUCE\b|\bUBE\b|message filtered/,
  /bulk (e-?mail|advertising)|\.advertising|has detected that this message|rejecting mail content/,
  /pourriel|indesirable|спам|迷惑メール|スパム|垃圾邮件|垃圾郵件/,
  /스팸|스펨/,
);
/** A mailbox shut for a while (locked, suspended) that the reply itself calls temporary. */
const MAILBOX_TEMPORARILY_DISABLED = anyOf(
  /temporar(y|ily) (locked|suspended|disabled|inactive|blocked)|recipient rejected: temporarily inactive/,
);
const MAILBOX_DISABLED = anyOf(
  /(?<!your )(account|mailbox|address|user) (that you tried to reach )?(is |has been )?(disabled|deactivated|inactive|not active|suspended|closed|expired|locked|frozen|blocked|terminated)/,
  /no longer (active|in use|available|valid)|disabled recipient|deactivated mailbox|inactive (email )?(address|account)/,
  /(account|mailbox) (is )?currently suspended|user suspended|user(s)? account is disabled|archived recipient/,
  /compte (du destinataire )?(est )?(bloque|desactive|suspendu|ferme|archive)|boite du destinataire archivee/,
  /compte de messagerie (est )?(bloque|desactive|suspendu|ferme)|konto (zostalo )?(zablokowane|wylaczone|nieaktywne)|ucet (je )?(zablokovan|zrusen|deaktivovan)/,
  /(konto|postfach|mailbox|benutzer) (ist )?(gesperrt|deaktiviert|inaktiv|stillgelegt)/,
  /cuenta (de correo )?(esta )?(desactivada|suspendida|bloqueada|inactiva|deshabilitada)/,
  /conta (de email )?(esta )?(desativada|suspensa|bloqueada|inativa)/,
  /(account|casella|utente) (e )?(disattivat[ao]|sospes[ao]|bloccat[ao]|disabilitat[ao])/,
  /(account|mailbox|postbus) (is )?(geblokkeerd|gedeactiveerd|opgeheven|uitgeschakeld)/,
  /(ящик|аккаунт|учетная запись|пользователь).{0,20}(заблокирован|отключен|деактивирован)/,
  /(アカウント|メールボックス).{0,10}(停止|無効|凍結)|(邮箱|郵箱|帐户|账户|帳戶|账号).{0,6}(停用|冻结|凍結|禁用|被锁定)/,
);
const DOMAIN_NOT_FOUND = anyOf(
  /(domain|host)( \S+)? (name )?(not found|does not exist|unknown)|no such domain|unrouteable|unroutable/,
  /domain (is )?(not|isn't) (valid|in use|reachable)|unknown (domain|host)|no mx|invalid recipient domain/,
  /illegal host|mx records point to non-existent hosts|could(n't| not) find (any host|a mail exchanger)/,
  /name or service not known|account or domain may not exist|dns lookup (failed|failure)/,
  /domaine (inexistant|introuvable|inconnu)|domain (existiert nicht|unbekannt|nicht gefunden)/,
  /dominio (no existe|inexistente|desconocido|nao existe|sconosciuto)|domein (bestaat niet|onbekend)/,
  /домен.{0,20}(не существует|не найден)|ドメイン.{0,10}(存在しません|見つかりません)|域名.{0,4}不存在/,
);
const BAD_SYNTAX = anyOf(
  /(bad|invalid|illegal) (recipient )?(address )?syntax|syntax error in (recipient|address)/,
  /need fully.qualified address|malformed address/,
);
const USER_UNKNOWN = anyOf(
  /user unknown|unknown user|no such (user|mailbox|recipient|address|person|account)/,
  /(user|recipient|mailbox|address|account|userid)( \S+)? (not found|not exist|not known|unknown)/,
  /(mailbox|recipient|address|account|user)( that you tried to reach)? (does not|doesn'?t|did not) exist|doesn'?t have an? .{1,40}account/,
  /(recipient|mailbox|address) (not found|unknown|invalid)|invalid (recipient|mailbox|address|final delivery userid)/,
  /unknown (recipient|mailbox|address(?! error)|local.?part|e-?mail address)|mailbox (unavailable|not available|not present)/,
  /not our (customer|user)|RecipientNotFound|RecipNotFound|undeliverable address|no mailbox (here|by that name|found)/,
  /bad destination mailbox|is not a valid (mailbox|recipient|user)|mailbox name not allowed|inactive user/,
  /unknown or illegal (alias|user)|not listed in .{0,20}(directory|address book)|no valid recipients (for|were found|, bye)/,
  /address (couldn't|could not) be found|address not found|is not a known user|not a local address/,
  /no one at this address|no account by that name|check if (the )?address is correct/,
  /envelope recipient (has been denied|is in my badrcptto)|badrcptto|validrcptto/,
  /benutzer (ist )?unbekannt|unbekannte?r? (benutzer|empfa(e)?nger|adresse)|empfa(e)?nger (ist )?unbekannt/,
  /(postfach|mailbox|benutzer|empfa(e)?nger|adresse|konto) (existiert nicht|nicht vorhanden|nicht gefunden|gibt es nicht)/,
  /utilisateur (inconnu|inexistant|introuvable)|destinataire (inconnu|inexistant|invalide|introuvable)/,
  /adresse (du destinataire |destinataire )?(inconnue|inexistante|invalide)|destinataire invalide/,
  /usuario (desconocido|inexistente|no existe|no encontrado)|destinatario (no existe|desconocido|inexistente)/,
  /no existe (dicha persona|ese usuario|el usuario|la cuenta)|(buzon|cuenta|direccion) (no existe|inexistente)/,
  /usuario (desconhecido|nao existe|nao encontrado)|(destinatario|caixa postal|conta|endereco) (desconhecid[oa]|inexistente|nao existe|nao encontrad[oa])/,
  /utente (sconosciuto|inesistente|non esiste|non trovato)|(destinatario|casella|indirizzo) (sconosciut[oa]|inesistente|non esiste)/,
  /nessun utente|(onbekende|ongeldige) (gebruiker|ontvanger|geadresseerde)|(gebruiker|ontvanger|adres) (is )?(onbekend|bestaat niet|niet gevonden)/,
  /(пользовател|адресат|получател|ящик|адрес).{0,20}(не существует|не найден|неизвестен)|нет такого (пользователя|адресата|ящика|получателя)/,
  /(uzytkownik|adresat|skrzynka|konto|adres) (nie istnieje|nieznany|nie zostal znaleziony)|nie ma takiego (uzytkownika|adresata|konta)/,
  /(schranka|uzivatel|adresat|ucet|adresa) (neexistuje|nenalezen|nenalezena|neznamy)/,
  /존재하지 않는 (사용자|계정|메일|주소|수신자)|(사용자|계정|수신자)(를|을|가|이)? 찾을 수 없습니다/,
  /(ユーザ|ユーザー|宛先|受信者|アドレス|メールアドレス).{0,3}(存在しません|見つかりません|不明)|宛先不明|ディレクトリ.{0,12}(見つかりません|ありません)/,
  /(用户|用戶|收件人|邮箱|郵箱|帐户|账户|帳戶|地址)(名)?(不存在|未找到|无效|無效)|查无此人|查無此人|无此用户|無此用戶/,
);
/** A reporting MTA gave up, or never got through: nothing said about the address. */
const EXPIRED = anyOf(
  /message expired|delivery (time )?expired|envelope expired|retry timeout exceeded|retry time not reached/,
  /(in|for) the queue too long|have been failing for a long time|could not be delivered for|could not deliver for/,
  /not delivered within|has been delayed|will be retried|after multiple retries|delivery failed \d+ attempts/,
  /could not find a gateway|was not reachable within|message timed out|delivery timeout|delivery attempts will continue/,
);
const NETWORK = anyOf(
  /connection (timed out|refused|reset)|timed out|no route to host|network (is )?unreachable|host (is )?unreachable/,
  /(could not|unable to|failed to|wasn't able to|was not able to) (establish|connect|make a connection)/,
  /did not accept our requests to connect|lost connection|server did not respond|not reachable/,
  /too many hops|hop count exceeded|exceeded \d+ hops|(mail|routing|forwarding) loop|looping|does not support tls|network error/,
);
/** The receiving system failed (not a verdict about us or the address). */
const SERVER_ERROR = anyOf(
  /internal (system |server )?error|system (config(uration)? )?error|queue file write error|unable to contact ldap/,
  /could not load drd|mail system problem|local error in processing|service (is )?(currently )?unavailable/,
  /upstream error|operating system error|insufficient permission|config(uration)? error|misconfigured/,
  /interrupted system call|output file|while being processed|loops? back to myself|loop was found/,
  /temporary local problem|temporarily not available|expansion problem/,
);
/** A message refused without a reason we know; in other languages too. */
const MESSAGE_REJECTED = anyOf(
  /(mail|message|e-?mail) (was )?(rejected|refused|rejete|not accepted)|rejected by (a |the )?(remote|recipient)/,
  /(nachricht|e-?mail) (wurde )?abgelehnt|message (refuse|rejete)|(mensaje|correo) rechazado/,
  /mensagem (rejeitada|recusada|bloqueada)|messaggio (rifiutato|bloccato)|bericht (geweigerd|geblokkeerd)/,
  /(сообщение|письмо) (было )?отклонено|受信拒否|拒否されました|拒收|被拒绝|被拒絕/,
);
/** Our SMTP command or its parameters refused. */
const PROTOCOL = anyOf(
  /unrecognized command|command (unrecognized|not recognized|not implemented)|(bad|improper) sequence of commands/,
  /syntax error in (parameters|command)|command parameter not implemented|need rcpt|rcpt first/,
);
/** Late, for replies no code explained: refusal words that name no address problem. */
const REFUSED = anyOf(
  /access denied|\bdenied\b|\brefused\b|\bblocked\b|\bbanned\b|not allowed|not permitted|forbidden/,
  /abgelehnt|gesperrt|blockiert|bloquee?|refusee?|rechazad[oa]|bloquead[oa]|rejeitad[oa]|recusad[oa]/,
  /bloccat[oa]|rifiutat[oa]|geweigerd|geblokkeerd|отклонен|заблокирован|拒否|拒绝|拒絕|屏蔽/,
);
const REVERSE_DNS = anyOf(
  /\bPTR\b|reverse dns|\brdns\b|ip name lookup failed|cannot find your hostname|mismatches client ip/,
  /no (valid )?(reverse|rdns)|without a valid (sender domain|hostname)|unverifyable sending/,
  /reverse lookup|forward dns|unresolvable (relay )?host ?name/,
);
const TEMPORARY_WORDS =
  /temporar|try (again )?later|will be retried|retry later|deferred|delayed|delay reason|persistent|plus tard|spater|mas tarde|piu tardi/i;

/** The reply's class: its basic code's first digit, or its enhanced code's when it has no basic code. */
const firstDigit = (r: ParsedReply) =>
  r.code !== null ? String(r.code)[0] : r.enhancedCode !== null ? r.enhancedCode[0] : null;

/** The policy. Order matters: the first rule that matches decides. */
export const RULES: readonly Rule[] = [
  // ── No reply at all: the client failed before or while talking to the server.
  { name: 'dns.nxdomain', when: errorName('ENOTFOUND', 'ENXDOMAIN'), then: hard('domain_not_found') },
  { name: 'dns.null_mx', when: errorName('ENULLMX'), then: hard('domain_not_found') },
  {
    name: 'dns.temporary',
    when: errorName('ESERVFAIL', 'EAI_AGAIN', 'ETIMEOUT', 'EREFUSED', 'EDNS'),
    then: soft('dns_temporary'),
  },
  // The message was sent and no answer came (silence, or the connection dropped): it may have
  // arrived. Retried, and counted apart, so statistics show how many might have arrived twice.
  {
    name: 'net.no_reply_after_data',
    when: errorName('ENOREPLYAFTERDATA'),
    then: soft('no_answer_after_data'),
  },
  { name: 'net.timeout', when: errorName('ETIMEDOUT', 'ESOCKETTIMEDOUT'), then: soft('timeout') },
  { name: 'net.error', when: (r) => r.errorName !== null, then: soft('network_error') },

  // ── 2xx: accepted.
  {
    name: 'accepted',
    when: (r) => r.code !== null && r.code >= 200 && r.code < 300,
    then: { category: 'delivered', reason: 'accepted' },
  },

  // ── Provider wording (providers misuse codes; their words are the better witness).
  { name: 'wording.greylisted', when: wording(/gr[ae]y ?list/i), then: soft('greylisted') },
  // Postfix's recipient address verification has not finished (reject_unverified_recipient): it
  // answers soon, like greylisting. A verification that found the address bad says so instead.
  {
    name: 'wording.verification_pending',
    when: (r) =>
      !r.permanent &&
      wording(
        /address verification in progress|unverified address: (unknown mail transport error|.{0,80}(timed out|try again|temporar))/i,
      )(r),
    then: soft('greylisted'),
  },
  // Volume from our address that looks like spam: a reputation refusal (Gmail 4.7.28 / 5.7.28).
  { name: 'wording.unsolicited_volume', when: wording(UNSOLICITED_VOLUME), then: refusal('rate_limited') },
  // Rate and sending limits (ours, or the recipient's intake): a wait cures them, so they are
  // retried even when worded as 5xx (Gmail 5.4.5, GoDaddy's 5.1.1 "too many recipients this hour").
  { name: 'wording.sending_quota', when: wording(RATE_LIMIT), then: soft('rate_limited') },
  { name: 'wording.server_storage', when: wording(SERVER_STORAGE), then: soft('server_busy') },
  { name: 'wording.mailbox_full', when: wording(MAILBOX_FULL_WORDING), then: MAILBOX_FULL },
  { name: 'wording.message_too_large', when: wording(MESSAGE_TOO_LARGE), then: refusal('message_too_large') },
  // RFC 7505: X.1.10 is the recipient's domain with a null MX; X.7.27 is the SENDER's (ours, an
  // authentication matter below), whatever the words say.
  {
    name: 'wording.null_mx',
    when: (r) => !/^[45]\.7\.27$/.test(r.enhancedCode ?? '') && wording(NULL_MX)(r),
    then: hard('domain_not_found'),
  },
  // A reporting MTA's own words about a DNS failure that a retry may cure (Postfix, Exchange).
  { name: 'wording.dns_temporary', when: wording(DNS_TEMPORARY), then: soft('dns_temporary') },
  // cPanel's sentence for an unrouteable recipient names a block list among its guesses ("The
  // account or domain may not exist, they may be blacklisted, or …"): it is Exim's unrouteable
  // address, as Sisimai reads it too, not a block of our IP.
  {
    name: 'wording.cpanel_unrouteable',
    when: addressWording(/account or domain may not exist/),
    then: hard('domain_not_found'),
  },
  { name: 'wording.blocklisted', when: wording(BLOCKLISTED), then: refusal('ip_blocklisted') },
  { name: 'wording.auth', when: wording(AUTH), then: refusal('auth_failed') },
  { name: 'wording.relay_denied', when: wording(RELAY_DENIED), then: refusal('relay_denied') },
  // X.1.7 / X.1.8 name the sender's address: never the recipient's, whatever else the reply says.
  { name: 'enhanced.x.1.7-8.bad_sender', when: enhanced(/^[45]\.1\.[78]$/), then: refusal('policy') },
  { name: 'wording.sender_rejected', when: wording(SENDER_REJECTED), then: refusal('policy') },
  { name: 'wording.before_recipient', when: wording(BEFORE_RECIPIENT), then: refusal('policy') },
  { name: 'wording.policy', when: wording(POLICY), then: refusal('policy') },
  { name: 'wording.spam', when: wording(SPAM), then: refusal('spam_content') },
  {
    name: 'wording.server_busy',
    when: (r) =>
      !r.permanent &&
      wording(/server (is )?busy|too busy|temporary (server|system) (error|problem)|try (again )?later/i)(r),
    then: soft('server_busy'),
  },
  // Exchange Online answers an unknown recipient with 5.4.1 "Access denied" (directory-based edge blocking).
  {
    name: 'wording.exchange_access_denied',
    // Exchange's own: 5.4.1 or its AS(…) code. Postfix says the same words for an access-map
    // refusal (5.7.1), a policy of the receiver's, not a missing mailbox.
    // A 5.7.x code with it (5.7.502–511: a banned sender, IP or recipient) is Microsoft's own block.
    when: (r) =>
      addressWording(/recipient address(es)? rejected ?: access denied|access denied.{0,40}AS\(\d+\)/i)(r) &&
      (r.enhancedCode === '5.4.1' || (/\bAS\(\d+\)/.test(r.text) && !/^5\.7\./.test(r.enhancedCode ?? ''))),
    then: hard('user_unknown'),
  },
  {
    name: 'wording.mailbox_temporarily_disabled',
    when: wording(MAILBOX_TEMPORARILY_DISABLED),
    then: soft('mailbox_disabled'),
  },
  {
    name: 'wording.mailbox_disabled',
    when: addressWording(MAILBOX_DISABLED),
    then: hard('mailbox_disabled'),
  },
  {
    name: 'wording.domain_not_found',
    when: addressWording(DOMAIN_NOT_FOUND),
    then: hard('domain_not_found'),
  },
  { name: 'wording.bad_syntax', when: addressWording(BAD_SYNTAX), then: hard('bad_address_syntax') },
  { name: 'wording.user_unknown', when: addressWording(USER_UNKNOWN), then: hard('user_unknown') },
  // What a reporting MTA says when it gave up or never got through: retried, whatever the code.
  { name: 'wording.expired', when: wording(EXPIRED), then: soft('delivery_expired') },
  { name: 'wording.network', when: wording(NETWORK), then: soft('network_error') },
  { name: 'wording.message_rejected', when: wording(MESSAGE_REJECTED), then: refusal('policy') },
  // Not with a 5.7.x code: Microsoft's "Service unavailable. Client blocked …" (5.7.750) is a refusal.
  {
    name: 'wording.server_error',
    when: (r) => !/^5\.7\./.test(r.enhancedCode ?? '') && wording(SERVER_ERROR)(r),
    then: soft('server_error'),
  },
  { name: 'wording.protocol', when: wording(PROTOCOL), then: refusal('protocol_error') },

  // ── RFC 3463 enhanced status codes.
  { name: 'enhanced.x.2.2.mailbox_full', when: enhanced(/^[245]\.2\.2$/), then: MAILBOX_FULL },
  { name: 'enhanced.x.1.1.bad_mailbox', when: enhanced(/^[45]\.1\.1$/), then: hard('user_unknown') },
  { name: 'enhanced.x.1.2.bad_domain', when: enhanced(/^[45]\.1\.2$/), then: hard('domain_not_found') },
  { name: 'enhanced.x.1.3.bad_syntax', when: enhanced(/^[45]\.1\.3$/), then: hard('bad_address_syntax') },
  { name: 'enhanced.x.1.6.moved', when: enhanced(/^[45]\.1\.6$/), then: hard('mailbox_moved') },
  { name: 'enhanced.5.1.x.bad_address', when: enhanced(/^5\.1\.\d+$/), then: hard('bad_address') },
  { name: 'enhanced.5.2.1.disabled', when: enhanced(/^5\.2\.1$/), then: hard('mailbox_disabled') },
  {
    name: 'enhanced.x.2.3.too_large',
    when: enhanced(/^[45]\.(2\.3|3\.4)$/),
    then: refusal('message_too_large'),
  },
  { name: 'enhanced.x.7.23-27.auth', when: enhanced(/^[45]\.7\.(2[3-7])$/), then: refusal('auth_failed') },
  { name: 'enhanced.5.7.x.policy', when: enhanced(/^5\.7\.\d+$/), then: refusal('policy') },
  { name: 'enhanced.5.4.4.unroutable', when: enhanced(/^5\.4\.4$/), then: hard('domain_not_found') },
  // X.3.x is the receiving system's state (full, shutting down, misconfigured) and X.4.x the
  // network or routing (timeouts, loops): neither is about the address or about us.
  { name: 'enhanced.5.3.x.system', when: enhanced(/^5\.3\.\d+$/), then: soft('server_error') },
  { name: 'enhanced.5.4.x.network', when: enhanced(/^5\.4\.\d+$/), then: soft('network_error') },
  {
    name: 'enhanced.5.x.other',
    when: enhanced(/^5\.[56]\.\d+$/),
    then: { category: 'blocked', reason: 'server_rejected' },
  },
  { name: 'enhanced.4.7.x.policy', when: enhanced(/^4\.7\.\d+$/), then: soft('policy') },
  { name: 'enhanced.4.4.x.network', when: enhanced(/^4\.4\.\d+$/), then: soft('network_error') },
  { name: 'enhanced.4.x.temporary', when: enhanced(/^4\.\d+\.\d+$/), then: soft('server_busy') },

  // ── Wording that only counts when no code said more (5.0.0, a bare 550, no code at all).
  { name: 'wording.reverse_dns', when: wording(REVERSE_DNS), then: refusal('auth_failed') },
  { name: 'wording.refused', when: (r) => r.permanent && wording(REFUSED)(r), then: refusal('policy') },

  // ── Basic reply codes (RFC 5321).
  { name: 'code.552.storage', when: (r) => r.code === 552, then: MAILBOX_FULL },
  { name: 'code.551.not_local', when: (r) => r.code === 551, then: hard('mailbox_moved') },
  { name: 'code.553.name_not_allowed', when: (r) => r.code === 553, then: hard('bad_address_syntax') },
  // 501-504: our command or its parameters refused (syntax, not implemented, sequence). Not 500,
  // which servers (and DSN readers that need a code) also use for any permanent failure.
  {
    name: 'code.50x.protocol',
    when: (r) => r.code !== null && r.code >= 501 && r.code <= 504,
    then: { category: 'blocked', reason: 'protocol_error' },
  },
  { name: 'code.421.unavailable', when: (r) => r.code === 421, then: soft('server_busy') },

  // ── Fallback: the first digit.
  { name: 'fallback.4xx', when: (r) => firstDigit(r) === '4', then: soft('server_busy') },
  { name: 'fallback.5xx', when: (r) => firstDigit(r) === '5', then: hard('user_unknown') },
];

/** Latin letters that carry their mark in themselves, with no accent for NFKD to take apart. */
const UNDECOMPOSED: Record<string, string> = {
  ł: 'l',
  Ł: 'L',
  ø: 'o',
  Ø: 'O',
  đ: 'd',
  Đ: 'D',
  ß: 'ss',
  ı: 'i',
};

/** Compatibility forms folded, accents of Latin letters dropped, apostrophes made plain. */
function fold(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/([A-Za-z])[\u0300-\u036f]+/g, '$1')
    .normalize('NFC')
    .replace(/[łŁøØđĐßı]/g, (c) => UNDECOMPOSED[c] ?? c)
    .replace(/[\u2018\u2019\u02bc]/g, "'");
}

/** Takes `550-5.1.1 first line\r\n550 5.1.1 second line` (or an error name) apart. */
export function parseReply(input: string): ParsedReply {
  const raw = input.trim();
  if (/^E[A-Z_]{2,}$/.test(raw)) {
    return { text: raw, folded: raw, code: null, enhancedCode: null, errorName: raw, permanent: false };
  }
  // A DSN's Diagnostic-Code comes with its type first (RFC 3464): `smtp; 550 5.1.1 ...`.
  const lines = raw
    .replace(/^(smtp|esmtp|x-[\w.-]{1,30}|x400|dns)\s*;\s*/i, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  // `550 `, `550-`, and as some MTAs print them `#550 ` (Exchange) or `550: ` (Yahoo).
  const first = /^#?([2-5]\d\d)(?:[ :-]|$)/.exec(lines[0] ?? '');
  // Strip each line's "550-" / "550 " prefix so wording rules see one sentence.
  const text = lines.map((l) => l.replace(/^#?[2-5]\d\d(?:[ :-]|$)\s*/, '')).join(' ');
  // A reporting MTA's own sentence that quotes the remote reply (`... Remote host said: 554 ...`):
  // the quoted code, when nothing leads.
  const quoted =
    first || /^\s*[245]\.\d{1,3}\.\d{1,3}\b/.test(text)
      ? null
      : /\b(?:said|returned|responded with|response was|reply was|error|talk to me|end of data|command)[:\s'"([]{1,4}#?([2-5]\d\d)\b/i.exec(
          text,
        );
  const code = first ? Number(first[1]) : quoted ? Number(quoted[1]) : null;
  // Not part of a longer dotted number: Comcast's `… 5.1.1.20 found on one or more DNSBLs` is our IP.
  const enhancedMatch =
    /^\s*([245])\.(\d{1,3})\.(\d{1,3})(?!\d|\.\d)/.exec(text) ??
    /(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\d|\.\d)/.exec(text);
  let enhancedCode = enhancedMatch ? `${enhancedMatch[1]}.${enhancedMatch[2]}.${enhancedMatch[3]}` : null;
  // An enhanced code whose class contradicts the basic code is noise (e.g. a version number in prose).
  if (enhancedCode && code !== null && enhancedCode[0] !== String(code)[0]) {
    const leading = /^\s*[245]\.\d{1,3}\.\d{1,3}\b/.test(text);
    if (!leading) enhancedCode = null;
  }
  const cls = enhancedCode?.[0] ?? (code !== null ? String(code)[0] : null);
  // A reporting MTA's `host mx.antispamcloud.com[198.51.100.20] said:`: the host's name is no
  // wording (`spam`, `barracuda` in it say nothing of the reply).
  const folded = fold(text.replace(/\bhost [\w.-]{1,255}(\[[\w.:]{1,64}\])? said:/gi, 'host said:'));
  const permanent = cls === '5' || (cls === null && !TEMPORARY_WORDS.test(folded));
  return { text, folded, code, enhancedCode, errorName: null, permanent };
}

export function classify(input: string): Classification {
  const parsed = parseReply(input);
  for (const rule of RULES) {
    if (rule.when(parsed)) {
      const verdict = typeof rule.then === 'function' ? rule.then(parsed) : rule.then;
      return { ...verdict, code: parsed.code, enhancedCode: parsed.enhancedCode, rule: rule.name };
    }
  }
  // Not a reply we can read at all (no code, no error name, no wording we know): retrying is the
  // safe answer.
  return {
    category: 'soft_bounce',
    reason: 'unreadable_reply',
    code: parsed.code,
    enhancedCode: parsed.enhancedCode,
    rule: 'unreadable',
  };
}
