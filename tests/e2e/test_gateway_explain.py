"""« Pourquoi ce créneau n'est-il pas proposé ? » through the gateway."""


def test_explain_tells_why_a_time_is_not_offered(system):
    org = system.new_organisation()
    with org.admin() as c:
        service = c.post("/api/v1/services", json={"name": "PMI", "short_name": "PMI"}).json()
        agent, _ = org.new_agent(service_ids=[service["id"]])
        lieu = c.post("/api/v1/lieux", json={"name": "Centre", "address": "1 rue A, 75001 Paris"}).json()
        motif = c.post("/api/v1/motifs", json={"name": "Consultation", "service_id": service["id"],
                                               "duration_minutes": 30, "location_type": "public_office"}).json()
        plage = c.post("/api/v1/plages", json={
            "agent_id": agent["id"], "lieu_id": lieu["id"], "motif_ids": [motif["id"]], "title": "Matin",
            "first_day": "2027-03-02", "start_time": "09:00", "end_time": "12:00", "recurrence": None})
        assert plage.status_code == 201, plage.text

        inside = c.get("/api/v1/creneaux/explain", params={
            "agent_id": agent["id"], "motif_id": motif["id"], "starts_at": "2027-03-02T09:30:00+01:00"})
        assert inside.status_code == 200, inside.text
        assert inside.json()["free"] is True

        outside = c.get("/api/v1/creneaux/explain", params={
            "agent_id": agent["id"], "motif_id": motif["id"], "starts_at": "2027-03-02T14:00:00+01:00"})
        assert outside.status_code == 200
        assert outside.json()["free"] is False
        assert outside.json()["reasons"], outside.json()

        foreign = system.new_organisation()
        with foreign.admin() as other:
            hidden = other.get("/api/v1/creneaux/explain", params={
                "agent_id": agent["id"], "motif_id": motif["id"], "starts_at": "2027-03-02T09:30:00+01:00"})
            assert hidden.status_code == 404
