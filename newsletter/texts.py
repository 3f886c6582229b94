"""Every word the service shows or sends, in Italian and English.

Kept together so a translator can review one file. Placeholders in braces
are filled with str.format; HTML escaping happens in the templates.
"""

SITE_NAME = "OpenSource14 – Risorse in rete per l'inclusione"

TEXTS = {
    "it": {
        "signup_title": "Iscrizione alla newsletter",
        "error_summary_title": "Controlla i dati inseriti",
        "name_label": "Nome (facoltativo)",
        "email_label": "Indirizzo e-mail",
        "privacy_link": "Leggi l'informativa sulla privacy",
        "submit": "Iscriviti",
        "honeypot_label": "Non compilare questo campo",
        "territories_legend": "Incontri vicino a te (facoltativo)",
        "territories_hint": "Per aziende, associazioni datoriali e consulenti del lavoro: scegli le province in cui vuoi ricevere gli inviti agli incontri informativi del progetto.",
        "email_required": "Inserisci il tuo indirizzo e-mail.",
        "email_invalid": "Inserisci un indirizzo e-mail valido, ad esempio nome@esempio.it.",
        "name_too_long": "Il nome può avere al massimo 100 caratteri.",
        "name_invalid": "Il nome contiene caratteri non ammessi: usa solo lettere, numeri e punteggiatura.",
        "territory_unknown": "Una delle province scelte non è nell'elenco: controlla la scelta e invia di nuovo il modulo.",
        "consent_required": "Per iscriverti devi dichiarare di aver letto l'informativa sulla privacy e di voler ricevere la newsletter.",
        "form_outdated": "Il modulo non è aggiornato: torna alla pagina, ricaricala e riprova.",
        "signup_ok": "Grazie! Ti abbiamo inviato un'e-mail: apri il link che contiene per confermare l'iscrizione.",
        "too_fast_title": "Controlla i dati e invia di nuovo",
        "too_fast_body": "Il modulo è arrivato pochi istanti dopo l'apertura della pagina, prima di quanto serva di solito a una persona per compilarlo (succede quando lo compila il browser), e per questo non l'abbiamo registrato. Controlla i dati qui sotto e premi il pulsante per inviarli.",
        "too_fast_retry": "Il modulo è stato inviato troppo in fretta e non l'abbiamo registrato: attendi qualche secondo e premi di nuovo il pulsante.",
        "back_to_site": "Torna al sito di OpenSource14",
        "back_to_page": "Torna alla pagina da cui sei arrivato",
        "confirm_title": "Conferma l'iscrizione",
        "confirm_intro": "Per iscrivere {email} alla newsletter di OpenSource14 premi il pulsante.",
        "confirm_button": "Conferma l'iscrizione",
        "confirmed_title": "Iscrizione confermata",
        "confirmed_body": "Grazie! Riceverai la newsletter di OpenSource14 all'indirizzo {email}. Puoi annullare l'iscrizione in qualsiasi momento con il link presente in ogni e-mail.",
        "already_title": "Iscrizione già confermata",
        "already_body": "L'indirizzo {email} è già iscritto alla newsletter di OpenSource14: non devi fare altro. Puoi annullare l'iscrizione in qualsiasi momento con il link presente in ogni e-mail.",
        "expired_title": "Il link è scaduto",
        "expired_body": "Il link di conferma vale {days} giorni. Iscriviti di nuovo dal sito e ti invieremo un nuovo link.",
        "invalid_title": "Il link non è valido",
        "invalid_body": "Il link potrebbe essere incompleto: copialo per intero dall'e-mail. Se hai annullato l'iscrizione, puoi iscriverti di nuovo dal sito.",
        "unsubscribe_title": "Annulla l'iscrizione",
        "unsubscribe_intro": "Vuoi smettere di ricevere la newsletter di OpenSource14 all'indirizzo {email}?",
        "unsubscribe_button": "Annulla l'iscrizione",
        "unsubscribed_title": "Iscrizione annullata",
        "unsubscribed_body": "Non riceverai più la newsletter di OpenSource14 all'indirizzo {email}. Abbiamo cancellato il tuo nome e le province scelte; conserviamo l'indirizzo e la data della tua scelta per 24 mesi, solo per poterla dimostrare.",
        "mail_subject": "Conferma l'iscrizione alla newsletter di OpenSource14",
        "mail_greeting": "Ciao,",
        "mail_body": (
            "abbiamo ricevuto una richiesta di iscrizione alla newsletter di {site_name} "
            "per questo indirizzo.\n\n"
            "Per confermarla apri il link qui sotto e premi il pulsante «Conferma l'iscrizione». "
            "Il link vale {days} giorni.\n\n{confirm_url}\n\n"
            "Se non hai chiesto tu l'iscrizione, ignora questa e-mail: senza conferma non ti "
            "scriveremo più e la richiesta sarà cancellata.\n\n"
            "Per annullare la richiesta o l'iscrizione:\n{unsubscribe_url}\n\n"
            "-- \n{site_name}\n{site_url}\n"
        ),
    },
    "en": {
        "signup_title": "Newsletter sign-up",
        "error_summary_title": "Please check what you entered",
        "name_label": "Name (optional)",
        "email_label": "E-mail address",
        "privacy_link": "Read the privacy notice",
        "submit": "Subscribe",
        "honeypot_label": "Leave this field empty",
        "territories_legend": "Meetings near you (optional)",
        "territories_hint": "For companies, employers' organisations and labour consultants: choose the provinces where you would like to be invited to the project's information meetings.",
        "email_required": "Enter your e-mail address.",
        "email_invalid": "Enter a valid e-mail address, such as name@example.org.",
        "name_too_long": "The name can be at most 100 characters long.",
        "name_invalid": "The name contains characters that are not allowed: use letters, numbers and punctuation only.",
        "territory_unknown": "One of the provinces chosen is not on the list: check your choice and send the form again.",
        "consent_required": "To subscribe, confirm that you have read the privacy notice and want to receive the newsletter.",
        "form_outdated": "The form is out of date: go back to the page, reload it and try again.",
        "signup_ok": "Thank you! We have sent you an e-mail: open the link in it to confirm your subscription.",
        "too_fast_title": "Check your details and send them again",
        "too_fast_body": "The form arrived moments after the page opened, sooner than a person usually takes to fill it in (this happens when the browser fills it in), so we have not recorded it. Check your details below and press the button to send them.",
        "too_fast_retry": "The form was sent too quickly and has not been recorded: wait a few seconds and press the button again.",
        "back_to_site": "Back to the OpenSource14 website",
        "back_to_page": "Back to the page you came from",
        "confirm_title": "Confirm your subscription",
        "confirm_intro": "To subscribe {email} to the OpenSource14 newsletter, press the button.",
        "confirm_button": "Confirm subscription",
        "confirmed_title": "Subscription confirmed",
        "confirmed_body": "Thank you! You will receive the OpenSource14 newsletter at {email}. You can unsubscribe at any time with the link in every e-mail.",
        "already_title": "Already confirmed",
        "already_body": "{email} is already subscribed to the OpenSource14 newsletter: there is nothing more to do. You can unsubscribe at any time with the link in every e-mail.",
        "expired_title": "This link has expired",
        "expired_body": "Confirmation links are valid for {days} days. Sign up again on the website and we will send you a new link.",
        "invalid_title": "This link is not valid",
        "invalid_body": "The link may be incomplete: copy all of it from the e-mail. If you have unsubscribed, you can sign up again on the website.",
        "unsubscribe_title": "Unsubscribe",
        "unsubscribe_intro": "Do you want to stop receiving the OpenSource14 newsletter at {email}?",
        "unsubscribe_button": "Unsubscribe",
        "unsubscribed_title": "You have unsubscribed",
        "unsubscribed_body": "You will no longer receive the OpenSource14 newsletter at {email}. We have deleted your name and the provinces you chose; we keep the address and the date of your choice for 24 months, only to be able to prove it.",
        "mail_subject": "Please confirm your subscription to the OpenSource14 newsletter",
        "mail_greeting": "Hello,",
        "mail_body": (
            "we have received a request to subscribe this address to the newsletter of "
            "{site_name}.\n\n"
            "To confirm it, open the link below and press the “Confirm subscription” button. "
            "The link is valid for {days} days.\n\n{confirm_url}\n\n"
            "If you did not ask to subscribe, ignore this e-mail: without a confirmation we will "
            "not write to you again and the request will be deleted.\n\n"
            "To cancel the request or the subscription:\n{unsubscribe_url}\n\n"
            "-- \n{site_name}\n{site_url}\n"
        ),
    },
}

# Pages for errors that happen before we know the visitor's language show
# both languages, the likelier one first.
ERRORS = {
    400: {
        "it": ("Richiesta non valida", "La richiesta non è stata capita."),
        "en": ("Bad request", "The request could not be understood."),
    },
    403: {
        "it": (
            "Richiesta non consentita",
            "Il modulo di iscrizione va inviato dal sito di OpenSource14.",
        ),
        "en": (
            "Request not allowed",
            "The sign-up form must be sent from the OpenSource14 website.",
        ),
    },
    404: {
        "it": ("Pagina non trovata", "Questo indirizzo non corrisponde a nessuna pagina."),
        "en": ("Page not found", "There is no page at this address."),
    },
    405: {
        "it": ("Metodo non consentito", "Questa pagina non accetta richieste di questo tipo."),
        "en": ("Method not allowed", "This page does not accept this kind of request."),
    },
    413: {
        "it": ("Richiesta troppo grande", "I dati inviati superano la dimensione consentita."),
        "en": ("Request too large", "The data sent is larger than allowed."),
    },
    429: {
        "it": (
            "Troppe richieste",
            "Sono arrivate troppe richieste dal tuo indirizzo. Riprova tra qualche minuto.",
        ),
        "en": (
            "Too many requests",
            "Too many requests came from your address. Please try again in a few minutes.",
        ),
    },
    500: {
        "it": ("Errore del servizio", "Qualcosa non ha funzionato. Riprova tra qualche minuto."),
        "en": ("Service error", "Something went wrong. Please try again in a few minutes."),
    },
    503: {
        "it": (
            "Servizio non disponibile",
            "Non siamo riusciti a salvare la richiesta. Riprova tra qualche minuto.",
        ),
        "en": (
            "Service unavailable",
            "We could not save your request. Please try again in a few minutes.",
        ),
    },
}
