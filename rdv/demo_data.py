"""What the demo organisation « Démo » contains: its services, lieux, motifs, agents and usagers."""
from __future__ import annotations

DEMO_LOGINS = {
    "admin": ("admin@demo.rdv", "Demo-Admin-2027!"),
    "agent": ("agent@demo.rdv", "Demo-Agent-2027!"),
}

SERVICES = [("Protection maternelle et infantile", "PMI"), ("Insertion et RSA", "RSA"),
            ("Service social départemental", "SSD")]
LIEUX = [("Maison des solidarités de Belleville", "12 rue de Belleville, 75020 Paris", "01 40 00 00 01"),
         ("Centre de PMI Ménilmontant", "45 rue de Ménilmontant, 75020 Paris", "01 40 00 00 02")]
MOTIFS = [  # name, service short name, minutes, location type, reservable online
    ("Consultation PMI", "PMI", 30, "public_office", True),
    ("Pesée du nourrisson", "PMI", 20, "public_office", True),
    ("Entretien d'orientation RSA", "RSA", 45, "public_office", False),
    ("Entretien téléphonique", "SSD", 20, "phone", False),
    ("Visite à domicile", "SSD", 60, "home", False),
]
AGENTS = [  # email, first, last, role, services, password
    ("admin@demo.rdv", "Amélie", "Durand", "admin", ["PMI", "RSA", "SSD"], DEMO_LOGINS["admin"][1]),
    ("agent@demo.rdv", "Karim", "Benali", "basic", ["PMI"], DEMO_LOGINS["agent"][1]),
    ("sophie.leroy@demo.rdv", "Sophie", "Leroy", "basic", ["RSA"], "Demo-Sophie-2027!"),
    ("marc.petit@demo.rdv", "Marc", "Petit", "basic", ["SSD"], "Demo-Marc-2027!"),
]
USAGERS = [
    ("Élodie", "Martin", "1990-04-12", "elodie.martin@example.fr", "06 12 34 56 78"),
    ("Jean-Pierre", "Dubois", "1958-11-02", "jp.dubois@example.fr", "07 81 22 33 44"),
    ("Fatoumata", "Diallo", "1995-06-30", None, "06 98 76 54 32"),
    ("Léa", "Nguyen", "2001-01-15", "lea.nguyen@example.fr", None),
    ("Mohamed", "Haddad", "1987-09-09", "m.haddad@example.fr", "06 55 44 33 22"),
    ("Chloé", "Lefèvre-Moreau", "1992-03-03", "chloe.lm@example.fr", "0612121212"),
]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday"]
